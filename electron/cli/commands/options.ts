import { InvalidArgumentError } from 'commander';
import type { Command } from 'commander';

/** Collects a repeatable option into an array. */
export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** Parses an integer option, or fails with a message naming the option. */
export function intOption(name: string, min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || n < min || n > max) throw new InvalidArgumentError(`${name} must be a whole number from ${min} to ${max} (got "${value}")`);
    return n;
  };
}

/** The filter options shared by `devices list` and `devices export`. */
export function addFilterOptions(cmd: Command): Command {
  return cmd
    .option('--site <site>', 'only devices of this site ("" for devices with no site)')
    .option('--tag <tag>', 'only devices with this tag (repeat: all must match)', collect)
    .option('--search <text>', 'only devices whose name, host, image or notes contain this text');
}

/** Parses a rate such as 50M, 800k or 1.5G (bytes per second, decimal units as network speeds are given). */
export function rateOption(name: string) {
  return (value: string): number => {
    const m = /^(\d+(?:\.\d+)?)([kKmMgG]?)(?:B(?:\/s)?)?$/.exec(value.trim());
    const n = m ? Math.round(Number(m[1]) * ({ '': 1, k: 1e3, m: 1e6, g: 1e9 } as Record<string, number>)[m[2]!.toLowerCase()]!) : NaN;
    if (!Number.isFinite(n) || n < 1024) throw new InvalidArgumentError(`${name} must be bytes per second of at least 1k, e.g. 50M or 800k (got "${value}")`);
    return n;
  };
}
