/**
 * Worker roles act as their own actors (`retrieval-worker`, `compliance-worker`): the
 * worker sessions are theirs. A person must never hold such an id — a token for
 * `compliance-worker` could record into every worker session of its tenant — so the
 * ids are reserved: the tokens file, OAuth claims and the configured stdio actor refuse
 * them.
 */
const WORKER_SUFFIX = '-worker';

/** The actor a worker role acts as. */
export const workerActor = (role: string): string => `${role}${WORKER_SUFFIX}`;

/** True for an id reserved for worker roles. */
export const isWorkerActor = (actorId: string): boolean => actorId.toLowerCase().endsWith(WORKER_SUFFIX);

export const RESERVED_ACTOR_HELP = `an actor id ending in "${WORKER_SUFFIX}" is reserved for worker roles`;
