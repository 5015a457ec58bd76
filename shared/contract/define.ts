import type { z } from 'zod';

/** One method of the contract: its input and output schemas and what it does. */
export interface MethodDef<I extends z.ZodType = z.ZodType, O extends z.ZodType = z.ZodType> {
  input: I;
  output: O;
  /** One line, shown in docs and in `bootfleet` help where the CLI mirrors the method. */
  summary: string;
}

export function method<I extends z.ZodType, O extends z.ZodType>(def: MethodDef<I, O>): MethodDef<I, O> {
  return def;
}
