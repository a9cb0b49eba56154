// Event sources and the throttled store hook: events are folded into the view as they arrive (a
// cheap pure reduce, never awaited by the producer) and React redraws at most every `intervalMs`.
import { useEffect, useRef, useState } from 'react';
import type { EventSink, LocoEvent } from '../protocol/events.js';
import { initialView, reduce, type View } from './state.js';

export interface EventSource {
  /** start receiving events; returns the unsubscribe */
  subscribe(listener: EventSink): () => void;
}

/** A tiny in-process bus: the role loop's `events` sink is `bus.emit`, the screen subscribes. */
export class EventBus implements EventSource {
  private listeners = new Set<EventSink>();
  /** events emitted before the screen subscribed are replayed to it */
  private backlog: LocoEvent[] = [];
  constructor(private readonly keep = 5000) {}

  readonly emit: EventSink = (e) => {
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

  subscribe(listener: EventSink): () => void {
    this.listeners.add(listener);
    const old = this.backlog;
    this.backlog = [];
    for (const e of old) listener(e);
    return () => this.listeners.delete(listener);
  }
}

/** A source that replays a fixed list of events (tests, recorded NDJSON). */
export function staticSource(events: readonly LocoEvent[]): EventSource {
  return {
    subscribe(listener) {
      for (const e of events) listener(e);
      return () => {};
    },
  };
}

/**
 * Fold a source's events into a `View`, redrawing at most once per `intervalMs` (default 100 ms,
 * ~10 fps). The first events after a quiet period draw on the next tick, bursts are coalesced.
 */
export function useEventStore(source: EventSource, intervalMs = 100): View {
  const ref = useRef<View>(initialView());
  const [view, setView] = useState<View>(ref.current);
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | null = null;
    let last = 0;
    let alive = true;
    const flush = () => {
      timer = null;
      last = Date.now();
      if (alive) setView(ref.current);
    };
    const unsubscribe = source.subscribe((e) => {
      ref.current = reduce(ref.current, e);
      if (timer === null) timer = setTimeout(flush, Math.max(0, last + intervalMs - Date.now()));
    });
    return () => {
      alive = false;
      if (timer !== null) clearTimeout(timer);
      unsubscribe();
    };
  }, [source, intervalMs]);
  return view;
}
