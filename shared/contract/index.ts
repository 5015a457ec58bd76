import type { z } from 'zod';
import type { AppErrorShape } from '../errors';
import { actionMethods } from './actions';
import { activityMethods } from './activity';
import { auditMethods } from './audit';
import { appMethods } from './app';
import { desiredMethods } from './desired';
import { deviceMethods } from './devices';
import { flashMethods } from './flash';
import { keyMethods } from './keys';
import { terminalMethods } from './terminals';
import { recordingMethods } from './recordings';
import { fleetMethods } from './fleet';
import { libraryMethods } from './library';
import type { EventName, EventPayload } from './events';
import { provisionMethods } from './provision';
import { rolloutMethods } from './rollouts';
import { siteMethods } from './sites';
import { sshImportMethods } from './ssh-import';

export * from './actions';
export * from './activity';
export * from './audit';
export * from './audit-files';
export * from './desired';
export * from './app';
export * from './devices';
export * from './events';
export * from './fields';
export * from './flash';
export * from './keys';
export * from './fleet';
export * from './library';
export * from './provision';
export * from './rollouts';
export * from './status';
export * from './terminals';
export * from './recordings';
export * from './sites';
export * from './ssh-import';
export * from './wire';
export * from '../errors';

/** The whole contract: every method `domain.verb` any host serves. */
export const methods = {
  ...appMethods,
  ...siteMethods,
  ...deviceMethods,
  ...activityMethods,
  ...fleetMethods,
  ...sshImportMethods,
  ...actionMethods,
  ...desiredMethods,
  ...rolloutMethods,
  ...flashMethods,
  ...provisionMethods,
  ...libraryMethods,
  ...auditMethods,
  ...keyMethods,
  ...terminalMethods,
  ...recordingMethods,
};
export type Methods = typeof methods;
export type MethodName = keyof Methods;
/** What a caller sends (defaults may be left out). */
export type MethodInput<M extends MethodName> = z.input<Methods[M]['input']>;
/** What a handler receives, after validation and defaults. */
export type MethodArgs<M extends MethodName> = z.output<Methods[M]['input']>;
export type MethodOutput<M extends MethodName> = z.output<Methods[M]['output']>;

export function isMethodName(name: unknown): name is MethodName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(methods, name);
}

/** Every call's answer is data, never a thrown error across a boundary. */
export type Result<T> = { ok: true; value: T } | { ok: false; error: AppErrorShape };

/** The one interface the renderer (and any other client) uses, whatever carries it. */
export interface BootfleetClient {
  invoke<M extends MethodName>(method: M, input: MethodInput<M>): Promise<MethodOutput<M>>;
  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void;
}

/** The two fixed IPC channels the Electron preload uses. */
export const IPC_INVOKE = 'bootfleet:invoke';
export const IPC_EVENT = 'bootfleet:event';

/** What the preload exposes as `window.bootfleet`. */
export interface BridgeApi {
  invoke(method: string, input: unknown): Promise<Result<unknown>>;
  on(listener: (event: string, payload: unknown) => void): () => void;
}
