import type { EventName, EventPayload } from '../../shared/contract';

/** `to`: the one client (ClientHandle.id) the event is for, e.g. a terminal's output; else every client. */
export type EventListener = <E extends EventName>(event: E, payload: EventPayload<E>, to?: string) => void;

/** Fan-out of contract events to every host that serves clients (IPC, WebSocket). */
export class EventBus {
  private readonly listeners = new Set<EventListener>();
  emit<E extends EventName>(event: E, payload: EventPayload<E>, to?: string): void {
    for (const l of this.listeners) {
      try {
        l(event, payload, to);
      } catch {
        /* one broken listener must not stop the others */
      }
    }
  }
  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
