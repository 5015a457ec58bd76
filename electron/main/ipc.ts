import type { IpcMain, IpcMainInvokeEvent, WebContents } from 'electron';
import { IPC_EVENT, IPC_INVOKE } from '../../shared/contract';
import { AppError, ErrorCode } from '../../shared/errors';
import type { BootfleetCore } from '../core/app';
import { isTrustedUrl } from './guards';

/** The client id a window's calls and targeted events carry (a terminal belongs to its window). */
export const clientId = (wc: { id: number }): string => `wc-${wc.id}`;

/**
 * Whether an IPC call comes from the app's own page: the top frame of a web contents showing the
 * renderer (not a subframe, not a page it was navigated to).
 */
export function trustedSender(event: Pick<IpcMainInvokeEvent, 'senderFrame'>, trustedPrefix: string): boolean {
  const frame = event.senderFrame;
  return !!frame && frame.parent === null && isTrustedUrl(frame.url, trustedPrefix);
}

/** The contract over one invoke channel; every call's sender is checked first. */
export function serveContract(ipcMain: IpcMain, core: BootfleetCore, trustedPrefix: string): void {
  ipcMain.handle(IPC_INVOKE, async (event, method: unknown, input: unknown) => {
    if (!trustedSender(event, trustedPrefix)) {
      return { ok: false, error: new AppError(ErrorCode.UNAUTHORIZED, 'Calls are accepted only from the Bootfleet window.').toJSON() };
    }
    // What a window opened (a terminal) ends when it closes or reloads.
    const wc = event.sender;
    const client = { id: clientId(wc), onClose: (listener: () => void) => void wc.once('destroyed', listener).once('did-navigate', listener) };
    return core.call(String(method), input, { actor: core.actor, client });
  });
}

/** Core events to the windows: to every window, or to the one a targeted event (a terminal's output) is for. */
export function forwardEvents(core: BootfleetCore, contents: () => WebContents[]): () => void {
  return core.bus.subscribe((name, payload, to) => {
    for (const wc of contents()) if (!wc.isDestroyed() && (!to || to === clientId(wc))) wc.send(IPC_EVENT, name, payload);
  });
}
