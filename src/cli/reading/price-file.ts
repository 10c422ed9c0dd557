import { readFileSync } from 'node:fs';
import { PriceTable, priceTableProblem, type Prices } from '../../core/pricing/price-table.js';
import { CliError } from '../cli-error.js';

/**
 * `--prices <file>`: the library's own price table (the format of the
 * module's `prices` option, priced the same way), read from a JSON file.
 * One table in core, so the inspector's costs are the metrics' and the budget
 * guard's.
 */
export function readPriceFile(path: string): PriceTable {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new CliError(`--prices ${path}: cannot read it as JSON (${(err as Error).message})`);
  }
  const problem = priceTableProblem(raw);
  if (problem !== undefined) throw new CliError(`--prices ${path}: ${problem}`);
  return new PriceTable(raw as Prices);
}
