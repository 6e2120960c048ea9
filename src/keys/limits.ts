// Every bound the key code enforces, in one place, each with the reason for
// its value. "Units" measure the logical size of a CEL value: a string or
// bytes counts its length, a list or map one per entry plus its contents, any
// other value one. A value's units never exceed the bytes of its JSON form,
// so spec.input (at most 64 KiB serialized) is at most 65,536 units.
import { maxExpressionLength, maxInputBytes, maxKeyLength } from '../api/index.ts';

export { maxExpressionLength, maxKeyLength };

/** SPEC §2: comprehension macros nested deeper than this are refused when the Workflow is checked. */
export const maxMacroNesting = 2;

/**
 * An expression whose static cost estimate (cost.ts) stays under this many
 * units is evaluated directly, on the fast path; anything costlier goes
 * through the guarded path. The costliest expressions under it (four 64 KiB
 * strings or lists concatenated, two such lists compared) took 2-5 ms here
 * (25 ms the first time, before the JIT).
 */
export const fastPathCostLimit = 1_000_000;

/**
 * Wall-clock budget of one guarded evaluation, enforced by node:vm (the only
 * way pure code may bound time: it cannot read a clock). It stops interpreted
 * loops; a single native step (one string flatten) cannot be interrupted, which
 * is why the size budget below exists. An evaluation within the size budget
 * takes at most about 25 ms on a loaded 2-core machine: four times that leaves
 * room for a busy node without failing a legitimate run, and 100 ms spent on a
 * hostile run is not a stall.
 */
export const guardedTimeoutMs = 100;

/**
 * Size budget of one guarded evaluation: the units of every list a macro
 * iterates over and of every value `map` produces, summed. It bounds the
 * iterations of nested macros and every value a macro can build, so no
 * expression can grow a string or list by repetition (three-fold per `map`
 * stage, say) until a single uninterruptible step takes seconds or gigabytes.
 * One macro over all of a 64 KiB input, mapped, fits (2 x 65,536); two deep
 * fits over about 360 elements (130,000 iterations, about 20 ms here). The
 * budget, not the clock, is what normally stops a large evaluation, so the
 * outcome does not depend on how busy the machine is.
 */
export const guardedSizeBudget = 131_072;

/** A `join` result longer than this is an error: keys are short, and a separator repeated per element multiplies sizes. */
export const maxJoinLength = 65_536;

/** `split` refuses longer strings: its result has up to twice the units of its input. */
export const maxSplitLength = 65_536;

/** Compiled regular expressions kept for reuse (each holds a lazily built DFA of at most 8 MB). */
export const regexCacheSize = 32;

/**
 * Upper bounds, in units, of what each variable can hold, for the cost
 * estimate. spec.input is checked by the controller before evaluation; names
 * and label values are bounded by Kubernetes validation, annotations by the
 * API server's 256 KiB total; additionalMetadata has no bound of its own, so it
 * gets the largest object the API server stores (1.5 MiB).
 */
export const variableBounds = {
  input: maxInputBytes,
  additional_metadata: 1_572_864,
  workflow_run_id: 253,
  metadata: 1_572_864,
  'metadata.name': 253,
  'metadata.namespace': 63,
  'metadata.labels': 1_572_864,
  'metadata.labels[]': 63,
  'metadata.annotations': 262_144,
  /** Any other variable (the conformance test declares its own): as large as anything. */
  unknown: 1_572_864,
} as const;
