import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { CSV_COLUMNS, CSV_REQUIRED_COLUMNS, type Device } from '../../../shared/contract';
import { AppError, ErrorCode } from '../../../shared/errors';

export type CsvColumn = (typeof CSV_COLUMNS)[number];

/** One data row of a device CSV, by column, with its 1-based line number in the file. */
export interface CsvRow {
  line: number;
  values: Partial<Record<CsvColumn, string>>;
  /** Set when the row has more or fewer fields than the header. */
  fieldCountError?: string;
}

/**
 * Reads a device CSV: a header row naming known columns (any order, any case), then one
 * device per row. Structural problems (no header, an unknown or repeated column, a quote
 * never closed) fail the whole file with CSV_INVALID naming the line; row-level problems are
 * left to the caller so every bad row can be reported at once.
 */
export function readDeviceCsv(text: string): CsvRow[] {
  type Rec = { record: string[]; raw: string };
  let parsed: Rec[];
  try {
    parsed = parse(text, { bom: true, raw: true, relax_column_count: true, trim: true }) as unknown as Rec[];
  } catch (err) {
    const e = err as { message?: string; lines?: number };
    throw new AppError(ErrorCode.CSV_INVALID, `The CSV cannot be read${e.lines ? ` at line ${e.lines}` : ''}: ${e.message ?? String(err)}`, {
      line: e.lines,
    });
  }
  // Number each record by the line it starts on: count the line breaks in the raw text
  // of the records before it (a quoted cell may hold line breaks of its own).
  const records: { record: string[]; line: number }[] = [];
  let breaks = 0;
  for (const { record, raw } of parsed) {
    const line = breaks + 1;
    breaks += raw.match(/\r\n|\n|\r/g)?.length ?? 0;
    if (record.every((v) => v === '')) continue; // blank lines and rows of empty cells
    records.push({ record, line });
  }
  const headerRec = records[0];
  if (!headerRec) throw new AppError(ErrorCode.CSV_INVALID, 'The CSV is empty: it needs a header row (name,host,...) and one row per device.');
  const header = headerRec.record.map((h) => h.trim().toLowerCase());
  const known = new Set<string>(CSV_COLUMNS);
  const seen = new Set<string>();
  for (const h of header) {
    if (!known.has(h)) {
      throw new AppError(
        ErrorCode.CSV_INVALID,
        `Unknown column "${h}" in the header (line ${headerRec.line}); the columns are: ${CSV_COLUMNS.join(', ')}.`,
        { column: h, line: headerRec.line },
      );
    }
    if (seen.has(h)) throw new AppError(ErrorCode.CSV_INVALID, `Column "${h}" appears twice in the header.`, { column: h });
    seen.add(h);
  }
  for (const req of CSV_REQUIRED_COLUMNS) {
    if (!seen.has(req)) {
      throw new AppError(ErrorCode.CSV_INVALID, `The header has no "${req}" column; "name" and "host" are required.`, { column: req });
    }
  }
  return records.slice(1).map(({ record, line }) => {
    const values: Partial<Record<CsvColumn, string>> = {};
    header.forEach((h, i) => {
      const v = record[i];
      if (v !== undefined && v !== '') values[h as CsvColumn] = v;
    });
    const row: CsvRow = { line, values };
    if (record.length !== header.length) {
      row.fieldCountError = `has ${record.length} field${record.length === 1 ? '' : 's'}, the header has ${header.length}`;
    }
    return row;
  });
}

/** Parses a CSV boolean: true/false, yes/no, 1/0, y/n (any case); empty is false. */
export function parseCsvBool(v: string | undefined): boolean | undefined {
  if (v === undefined || v === '') return false;
  const s = v.toLowerCase();
  if (['true', 'yes', 'y', '1'].includes(s)) return true;
  if (['false', 'no', 'n', '0'].includes(s)) return false;
  return undefined;
}

/** Writes devices as CSV in the import format, so an export re-imports as it was. */
export function devicesToCsv(devices: Iterable<Device>): string {
  const rows: string[][] = [[...CSV_COLUMNS]];
  for (const d of devices) {
    rows.push([
      d.name,
      d.host,
      String(d.port),
      d.user ?? '',
      d.siteName ?? '',
      d.tags.join(';'),
      d.sudo ? 'true' : 'false',
      d.keyPath ?? '',
      d.desiredImage ?? '',
      d.notes,
    ]);
  }
  return stringify(rows);
}
