/** The modes of bench/reference-server.ts (see its header), in a module of their own so importing them starts no server. */
export const REFERENCE_MODES = ['echo', 'write', 'sqlite', 'sqlite-noindex', 'sqlite-noautoincrement', 'sqlite-exclusive'] as const;
export type ReferenceMode = (typeof REFERENCE_MODES)[number];
