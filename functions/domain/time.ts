/** Milliseconds in a day: every age and due date the rotator computes counts whole UTC days of this length. */
export const DAY_MS = 86_400_000;
