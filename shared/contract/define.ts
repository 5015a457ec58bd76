import type { z } from 'zod';

/** One method of the contract: its input and output schemas and what it does. */
export interface MethodDef<I extends z.ZodType = z.ZodType, O extends z.ZodType = z.ZodType> {
  input: I;
  output: O;
  /** One line, shown in docs and in `bootfleet` help where the CLI mirrors the method. */
  summary: string;
  /**
   * A field of the output holding a very long array (100,000 devices): the router checks the
   * output with only its first 100 items, so a large answer is not paid for twice. The items are
   * built by typed core code; the sample still catches a handler that breaks the contract.
   */
  bulk?: string;
}

export function method<I extends z.ZodType, O extends z.ZodType>(def: MethodDef<I, O>): MethodDef<I, O> {
  return def;
}
