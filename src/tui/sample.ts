// A recorded-style event stream (shapes as in docs/events.md) for previews and the screen tests.
import { EVENTS_VERSION, type LocoEvent, type Role } from '../protocol/events.js';

type Body = Record<string, unknown> & { event: LocoEvent['event'] };

function stream(role: Role, uid: number) {
  const out: LocoEvent[] = [];
  let ms = Date.parse('2026-11-26T07:29:00.000Z');
  const emit = (window: number | null, body: Body) => {
    ms += 250;
    out.push({ v: EVENTS_VERSION, t: new Date(ms).toISOString(), role, uid, window, ...body } as LocoEvent);
  };
  return { out, emit };
}

/** A miner (uid 0) over `windows` windows of `inner` steps, its loss falling from ~10.9. */
export function sampleMinerEvents(windows = 3, inner = 6): LocoEvent[] {
  const { out, emit } = stream('miner', 0);
  let step = 0;
  for (let w = 0; w < windows; w++) {
    emit(w, { event: 'phase', phase: 'train', state: 'start' });
    for (let i = 1; i <= inner; i++) {
      step++;
      const loss = 10.9 * Math.exp(-step / 12) + 2 + 0.02 * Math.sin(step);
      emit(w, { event: 'inner_step', step, inner: i, loss, lr: 6e-4, grad_norm: 1.2 - step * 0.01, tokens_per_s: 5100 + step * 3 });
    }
    emit(w, { event: 'phase', phase: 'train', state: 'end', seconds: 3.2 });
    emit(w, { event: 'upload', key: `gradient-${w}-0.bin`, bytes: 248394, seconds: 0.12, dense_bytes: 248394 * 60, last_modified: new Date().toISOString() });
    emit(w, { event: 'payload_rejected', peer: 2, reason: 'bad_signature', message: 'signature does not verify for hotkey 5F…' });
    emit(w, { event: 'gather', accepted: [0, 1, 3], rejected: [{ uid: 2, reason: 'bad_signature' }], missing: [4], bytes: 745182, seconds: 0.18 });
    emit(w, { event: 'outer_step', peers: [0, 1, 3], lr: 0.7, update_norm: 0.0123 });
  }
  emit(windows - 1, { event: 'checkpoint', key: `checkpoint-${windows - 1}.bin`, bytes: 5_000_000 });
  return out;
}

/** A validator (uid 9) scoring miners 1, 2, 3 in window 0 and setting weights. */
export function sampleValidatorEvents(): LocoEvent[] {
  const { out, emit } = stream('validator', 9);
  emit(0, { event: 'phase', phase: 'eval', state: 'start' });
  const ev = (peer: number, own: number, rnd: number, final: number, binary_ma: number) =>
    emit(0, {
      event: 'evaluation',
      peer,
      loss_before_own: 10.5,
      loss_after_own: 10.5 - own,
      loss_before_random: 10.6,
      loss_after_random: 10.6 - rnd,
      gradient_score: own - rnd,
      indicator: own > rnd ? 1 : -1,
      binary_ma,
      steps_behind: null,
      sync: 1,
      final,
    });
  ev(1, 0.0197, 0.0008, 0.1378, 0.05);
  ev(2, 0.001, 0.002, 0.0101, -0.05);
  ev(3, 0.03, 0.001, 0.4123, 0.05);
  emit(0, { event: 'penalty', peer: 4, penalty: 'missing', reason: 'no payload for window 0' });
  emit(0, { event: 'phase', phase: 'eval', state: 'end', seconds: 4.1 });
  emit(0, {
    event: 'scores',
    peers: [
      { uid: 1, final: 0.1378, mu: 26.1, sigma: 7.9, binary_ma: 0.05, sync: 1 },
      { uid: 2, final: 0.0101, mu: 24.2, sigma: 8.0, binary_ma: -0.05, sync: 1 },
      { uid: 3, final: 0.4123, mu: 27.5, sigma: 7.7, binary_ma: 0.05, sync: 1 },
      { uid: 4, final: 0, mu: 25, sigma: 8.3, binary_ma: 0, sync: 0 },
    ],
  });
  emit(0, { event: 'weights', uids: [1, 2, 3], weights: [0.245, 0.018, 0.737], submitted: true, included: true, block: 1234 });
  return out;
}
