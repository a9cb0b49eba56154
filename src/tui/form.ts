// A small text form for the screens (wallet create/import, the Home screen's paths): one field at a
// time, typed characters appended, backspace, enter checks the field and moves on (the last one
// submits), esc cancels. Masked fields keep their value here only; components draw one '•' per
// character and never the text.
import type { Key } from 'ink';
import { useRef, useState, type MutableRefObject } from 'react';

export interface FieldSpec {
  name: string;
  label: string;
  masked?: boolean;
  initial?: string;
  /** shown dimmed next to the field */
  hint?: string;
  /** null: fine; a string: why not (the form stays on the field) */
  check?: (value: string, values: Record<string, string>) => string | null;
}

export interface FormState {
  index: number;
  values: Record<string, string>;
  error: string | null;
  /** a submit is running (the form ignores keys) */
  busy: boolean;
}

export type KeyHandler = (input: string, key: Key) => void;

/**
 * Where a screen sends its keys while a form is open. The screen keeps one `useInput` and calls
 * `route.current`: a form that subscribed to stdin itself on mount would miss the key typed right
 * after it appeared (Ink attaches listeners in a passive effect).
 */
export type KeyRoute = MutableRefObject<KeyHandler | null>;

export interface FormOptions {
  route: KeyRoute;
  /** returns (or resolves to) an error to show, or nothing when done */
  onSubmit: (values: Record<string, string>) => Promise<string | null | void> | string | null | void;
  onCancel?: () => void;
}

const initialValues = (fields: readonly FieldSpec[]) => Object.fromEntries(fields.map((f) => [f.name, f.initial ?? '']));

/** Printable characters of a key press (a paste arrives as one string); control characters dropped. */
export function printable(input: string): string {
  // eslint-disable-next-line no-control-regex
  return input.replace(/[\u0000-\u001f\u007f]/g, '');
}

export function useForm(fields: readonly FieldSpec[], o: FormOptions): FormState {
  // the state lives in a ref so that keys arriving between two renders all see the latest value
  const ref = useRef<FormState>({ index: 0, values: initialValues(fields), error: null, busy: false });
  const [, redraw] = useState(0);
  const setS = (next: FormState | ((cur: FormState) => FormState)) => {
    ref.current = typeof next === 'function' ? next(ref.current) : next;
    redraw((n) => n + 1);
  };
  o.route.current = (input, key) => {
      const s = ref.current;
      if (s.busy) return;
      const f = fields[s.index];
      if (!f) return;
      if (key.escape || (key.ctrl && input === 'c')) {
        o.onCancel?.();
        return;
      }
      const enter = () => {
        const cur = ref.current;
        const field = fields[cur.index];
        const err = field.check?.(cur.values[field.name] ?? '', cur.values) ?? null;
        if (err) return setS({ ...cur, error: err });
        if (cur.index < fields.length - 1) return setS({ ...cur, index: cur.index + 1, error: null });
        setS({ ...cur, busy: true, error: null });
        void Promise.resolve()
          .then(() => o.onSubmit(cur.values))
          .then(
            (r) => setS((c) => ({ ...c, busy: false, error: r || null })),
            (e: unknown) => setS((c) => ({ ...c, busy: false, error: (e as Error).message })),
          );
      };
      const append = (text: string) => {
        const add = printable(text);
        if (!add) return;
        const cur = ref.current;
        const name = fields[cur.index].name;
        setS({ ...cur, values: { ...cur.values, [name]: (cur.values[name] ?? '') + add }, error: null });
      };
      if (key.return) return enter();
      if (key.upArrow || (key.tab && key.shift)) return setS({ ...s, index: Math.max(0, s.index - 1), error: null });
      if (key.backspace || key.delete) {
        const v = [...(s.values[f.name] ?? '')].slice(0, -1).join('');
        return setS({ ...s, values: { ...s.values, [f.name]: v }, error: null });
      }
      if (key.ctrl || key.meta) return;
      // a paste arrives as one chunk and may hold line ends: each one is an enter
      const parts = input.split(/\r\n|\r|\n/);
      parts.forEach((part, i) => {
        if (ref.current.busy) return;
        append(part);
        if (i < parts.length - 1) enter();
      });
  };
  return ref.current;
}
