/** How many of the caller's recent items each template's list callback offers. */
export const LIST_RECENT = 50;
/** How many recent ids completion considers. */
export const COMPLETE_RECENT = 100;
