import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { ClusterApi } from '../../src/kubernetes/cluster-api.ts';
import { EventRecorder } from '../../src/kubernetes/events.ts';

const target = { apiVersion: 'sluice.dev/v1alpha1', kind: 'WorkflowRun', namespace: 'ns', name: 'run', uid: 'u' };

/** An API whose Event writes stay pending until answered, as during a burst of admissions. */
function slowApi() {
  const answers: (() => void)[] = [];
  const api = {
    createEvent: () => new Promise<void>((resolve) => answers.push(resolve)),
  } as unknown as ClusterApi;
  return { api, answers };
}

describe('EventRecorder', () => {
  it('drops and counts new Events once 10,000 wait, and takes Events again as they are written', async () => {
    const { api, answers } = slowApi();
    let dropped = 0;
    const recorder = new EventRecorder(api, pino({ level: 'silent' }), 'test', () => (dropped += 1));
    for (let i = 0; i < 10_000; i++) recorder.record(target, 'Normal', 'Admitted', `run ${i}`);
    expect(answers).toHaveLength(10_000);
    expect(dropped).toBe(0);

    recorder.record(target, 'Normal', 'Admitted', 'one too many');
    expect(answers).toHaveLength(10_000);
    expect(dropped).toBe(1);

    answers[0]?.();
    await new Promise((resolve) => setTimeout(resolve, 0));
    recorder.record(target, 'Normal', 'Admitted', 'room again');
    expect(answers).toHaveLength(10_001);
    expect(dropped).toBe(1);
  });
});
