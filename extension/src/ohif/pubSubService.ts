/**
 * The publish/subscribe base of an OHIF service (the shape of @ohif/core's PubSubService, which the
 * prebuilt viewer does not export to extensions): `EVENTS`, `subscribe(event, callback)` returning
 * `{ unsubscribe }`, and `_broadcastEvent` for the service itself.
 */
import type { OhifSubscription } from './ohifTypes';

export class PubSubService<Events extends Record<string, string>, Payload> {
  private readonly listeners = new Map<string, Set<(payload: Payload) => void>>();

  constructor(readonly EVENTS: Events) {}

  subscribe(eventName: Events[keyof Events], callback: (payload: Payload) => void): OhifSubscription {
    // As OHIF's services do: a typo in an event name is an error, not a silent no-op.
    if (!Object.values(this.EVENTS).includes(eventName)) throw new Error(`Event ${eventName} not supported.`);
    let set = this.listeners.get(eventName);
    if (!set) this.listeners.set(eventName, (set = new Set()));
    const listener = (payload: Payload) => callback(payload);
    set.add(listener);
    return { unsubscribe: () => void set.delete(listener) };
  }

  protected _broadcastEvent(eventName: Events[keyof Events], payload: Payload): void {
    for (const listener of [...(this.listeners.get(eventName) ?? [])]) {
      try {
        listener(payload);
      } catch (error) {
        console.error('[body-region] listener failed', error);
      }
    }
  }
}
