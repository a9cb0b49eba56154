// Event sources and the throttled store hook: events are folded into the view as they arrive (a
// cheap pure reduce, never awaited by the producer) and React redraws at most every `intervalMs`.
import { useEffect, useRef, useState } from 'react';
import type { LocoEvent } from '../protocol/events.js';
import { initialView, reduce, type View } from './state.js';

/** Anything that delivers events of type E (the role loops' `LocoEvent`, or the demo's superset). */
export interface EventSource<E = LocoEvent> {
  /** start receiving events; returns the unsubscribe */
  subscribe(listener: (e: E) => void): () => void;
}

/** A tiny in-process bus: the role loop's `events` sink is `bus.emit`, the screen subscribes. */
export class EventBus<E = LocoEvent> implements EventSource<E> {
  private listeners = new Set<(e: E) => void>();
  /** events emitted before the screen subscribed are replayed to it */
  private backlog: E[] = [];
  constructor(private readonly keep = 5000) {}

  readonly emit = (e: E): void => {
    if (this.listeners.size === 0) {
      this.backlog.push(e);
      if (this.backlog.length > this.keep) this.backlog.shift();
      return;
    }
    for (const l of this.listeners) {
      try {
        l(e);
      } catch {
        /* a broken screen never stops the loop */
      }
    }
  };

  subscribe(listener: (e: E) => void): () => void {
    this.listeners.add(listener);
    const old = this.backlog;
    this.backlog = [];
    for (const e of old) listener(e);
    return () => this.listeners.delete(listener);
  }
}

/** A source that replays a fixed list of events (tests, recorded NDJSON). */
export function staticSource<E = LocoEvent>(events: readonly E[]): EventSource<E> {
  return {
    subscribe(listener) {
      for (const e of events) listener(e);
      return () => {};
    },
  };
}

/**
 * Fold a source's events into a view with `reduceFn`, redrawing at most once per `intervalMs`
 * (default 100 ms, ~10 fps). The first events after a quiet period draw on the next tick, bursts
 * are coalesced.
 */
export function useFoldedStore<E, V>(source: EventSource<E>, initial: () => V, reduceFn: (v: V, e: E) => V, intervalMs = 100): V {
  const ref = useRef<V | null>(null);
  if (ref.current === null) ref.current = initial();
  const [view, setView] = useState<V>(ref.current);
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | null = null;
    let last = 0;
    let alive = true;
    const flush = () => {
      timer = null;
      last = Date.now();
      if (alive) setView(ref.current as V);
    };
    const unsubscribe = source.subscribe((e) => {
      ref.current = reduceFn(ref.current as V, e);
      if (timer === null) timer = setTimeout(flush, Math.max(0, last + intervalMs - Date.now()));
    });
    return () => {
      alive = false;
      if (timer !== null) clearTimeout(timer);
      unsubscribe();
    };
  }, [source, intervalMs, reduceFn]);
  return view;
}

/** The role loops' view (state.ts) of a source. */
export function useEventStore(source: EventSource, intervalMs = 100): View {
  return useFoldedStore(source, initialView, reduce, intervalMs);
}
