/** Milliseconds in a day: every age and due date the rotator computes counts whole UTC days of this length. */
export const DAY_MS = 86_400_000;
/** Milliseconds in an hour: an emergency rotation's grace is counted in hours. */
export const HOUR_MS = 3_600_000;
