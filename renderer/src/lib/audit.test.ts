import { describe, expect, it } from 'vitest';
import { durationSchema } from '../../../shared/contract';
import { localDay, parseAsOf, parseStaleDays } from './audit';

describe('parseStaleDays', () => {
  it('turns days into the contract duration', () => {
    expect(parseStaleDays('7')).toEqual({ staleAfter: '7d', error: null });
    expect(parseStaleDays(' 1.5 ')).toEqual({ staleAfter: '1.5d', error: null });
    expect(durationSchema.safeParse(parseStaleDays('30').staleAfter).success).toBe(true);
  });
  it('refuses what is not a positive number of days', () => {
    expect(parseStaleDays('')).toEqual({ staleAfter: null, error: null }); // empty: each site's own threshold
    expect(parseStaleDays('7d').error).toMatch(/number of days/);
    expect(parseStaleDays('-1').error).toMatch(/number of days/);
    expect(parseStaleDays('0').error).toMatch(/more than 0/);
    expect(parseStaleDays('99999').error).toMatch(/at most/);
  });
});

describe('parseAsOf', () => {
  const today = '2026-11-23';
  it('takes empty and today as now, an earlier day as itself', () => {
    expect(parseAsOf('', today)).toEqual({ asOf: null, error: null });
    expect(parseAsOf(today, today)).toEqual({ asOf: null, error: null });
    expect(parseAsOf('2026-11-01', today)).toEqual({ asOf: '2026-11-01', error: null });
  });
  it('refuses later days and what is not a date', () => {
    expect(parseAsOf('2026-11-24', today).error).toMatch(/today or an earlier day/);
    expect(parseAsOf('2026-13-45', today).error).toMatch(/date like/);
    expect(parseAsOf('yesterday', today).error).toMatch(/date like/);
  });
  it('gives the local day as a date input shows it', () => {
    expect(localDay(new Date(2026, 0, 5, 12))).toBe('2026-01-05');
  });
});
