// What the controller knows of each Workflow, compiled once per generation: its
// concurrency entries as the engine takes them, the CEL programs that compute a
// run's keys, the validator of run inputs, and whether it is Ready (and if not,
// why, in words the user can act on).
import { z } from 'zod';
import { inputSizeError, parseDuration, type Workflow } from '../api/index.ts';
import type { ConcurrencyEntry, WorkflowLimits } from '../engine/index.ts';
import { compileConcurrencyExpression, type KeyProgram } from '../keys/index.ts';
import { objectKey } from '../kubernetes/informer.ts';

export interface ReadyWorkflow {
  kind: 'ready';
  generation: number;
  limits: WorkflowLimits;
  programs: { expression: string; program: KeyProgram }[];
  /** The reason the input is refused, or undefined when it is valid. */
  checkInput: (input: unknown) => string | undefined;
  workflow: Workflow;
}

export interface UnreadyWorkflow {
  kind: 'notReady';
  generation: number;
  reason: 'InvalidConcurrencyExpression' | 'InvalidInputSchema';
  message: string;
}

export type WorkflowState = ReadyWorkflow | UnreadyWorkflow;

function inputChecker(schema: Record<string, unknown> | undefined): { ok: true; check: (input: unknown) => string | undefined } | { ok: false; error: string } {
  let validator: z.ZodType | undefined;
  if (schema !== undefined) {
    try {
      validator = z.fromJSONSchema(schema as Parameters<typeof z.fromJSONSchema>[0]);
    } catch (err) {
      return { ok: false, error: err instanceof Error ? err.message : String(err) };
    }
  }
  return {
    ok: true,
    check: (input) => {
      const tooLarge = inputSizeError(input);
      if (tooLarge) return tooLarge;
      if (!validator) return undefined;
      const result = validator.safeParse(input ?? {});
      if (result.success) return undefined;
      return result.error.issues
        .slice(0, 5)
        .map((issue) => `${issue.path.length > 0 ? `spec.input.${issue.path.join('.')}` : 'spec.input'}: ${issue.message}`)
        .join('; ');
    },
  };
}

export function compileWorkflow(workflow: Workflow): WorkflowState {
  const generation = workflow.metadata.generation ?? 0;
  const entries: ConcurrencyEntry[] = [];
  const programs: ReadyWorkflow['programs'] = [];
  for (const [index, entry] of workflow.spec.concurrency.entries()) {
    const compiled = compileConcurrencyExpression(entry.expression);
    if (!compiled.ok) {
      return {
        kind: 'notReady',
        generation,
        reason: 'InvalidConcurrencyExpression',
        message: `spec.concurrency[${index}].expression ${JSON.stringify(entry.expression)}: ${compiled.error}`,
      };
    }
    entries.push({ expression: entry.expression, maxRuns: entry.maxRuns, strategy: entry.limitStrategy });
    programs.push({ expression: entry.expression, program: compiled.program });
  }
  const input = inputChecker(workflow.spec.inputSchema);
  if (!input.ok) {
    return { kind: 'notReady', generation, reason: 'InvalidInputSchema', message: `spec.inputSchema: ${input.error}` };
  }
  const timeout = workflow.spec.scheduleTimeout ? parseDuration(workflow.spec.scheduleTimeout) : undefined;
  const id = objectKey(workflow.metadata);
  return {
    kind: 'ready',
    generation,
    limits: timeout === undefined ? { id, entries } : { id, entries, scheduleTimeoutMicros: timeout },
    programs,
    checkInput: input.check,
    workflow,
  };
}

/** Compiled Workflows by "namespace/name", recompiled only when the generation moves. */
export class WorkflowRegistry {
  private readonly states = new Map<string, WorkflowState>();

  /** The state for this object, compiling it if its generation is new. Returns whether it changed. */
  update(key: string, workflow: Workflow): { state: WorkflowState; changed: boolean } {
    const previous = this.states.get(key);
    const generation = workflow.metadata.generation ?? 0;
    if (previous && previous.generation === generation) {
      if (previous.kind === 'ready') previous.workflow = workflow;
      return { state: previous, changed: false };
    }
    const state = compileWorkflow(workflow);
    this.states.set(key, state);
    return { state, changed: true };
  }

  get(key: string): WorkflowState | undefined {
    return this.states.get(key);
  }

  delete(key: string): boolean {
    return this.states.delete(key);
  }
}
