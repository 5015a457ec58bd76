/** Time source, injected so tests can pin it. ISO-8601 UTC with milliseconds. */
export interface Clock {
  now(): string;
}
export const systemClock: Clock = { now: () => new Date().toISOString() };
