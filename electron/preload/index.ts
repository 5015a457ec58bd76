import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { IPC_EVENT, IPC_INVOKE, type BridgeApi, type Result } from '../../shared/contract';

/**
 * The whole bridge: one invoke channel and one event channel, exposed as `window.bootfleet`.
 * Runs sandboxed; no Node, no raw ipcRenderer reaches the page.
 */
const api: BridgeApi = {
  invoke: (method: string, input: unknown) => ipcRenderer.invoke(IPC_INVOKE, method, input) as Promise<Result<unknown>>,
  on: (listener) => {
    const handler = (_e: IpcRendererEvent, event: string, payload: unknown) => listener(event, payload);
    ipcRenderer.on(IPC_EVENT, handler);
    return () => void ipcRenderer.removeListener(IPC_EVENT, handler);
  },
};

contextBridge.exposeInMainWorld('bootfleet', api);
