import type { MethodInput, MethodName, MethodOutput, Via } from '../../shared/contract';
import { AppError } from '../../shared/errors';
import { openCore, type BootfleetCore } from '../core/app';
import { resolveDataDir } from '../core/paths';
import { hostSecretCipher } from '../core/secrets/keyring';

export interface GlobalOptions {
  dataDir?: string;
  json?: boolean;
}

/** Opens the inventory for one CLI command and serves its calls through the contract. */
export class CliSession {
  private core?: BootfleetCore;
  /** SSH settings for this run (set by a command before its first call). */
  ssh: { concurrency?: number } = {};
  /** Terminals may run a local shell (serve --allow-local-shell). */
  localShell = false;
  constructor(private readonly opts: GlobalOptions) {}

  get dataDir(): string {
    return resolveDataDir(this.opts.dataDir);
  }

  /** Opens the inventory once; `serve` opens it as the serve host. */
  open(via: Via = 'cli'): BootfleetCore {
    // Secrets: the key in the OS keyring where one answers, else the 0600 key file (core/secrets/keyring.ts).
    this.core ??= openCore({ dataDir: this.dataDir, via, ssh: this.ssh, localShell: this.localShell, cipher: hostSecretCipher(this.dataDir) });
    return this.core;
  }

  /** One contract call; a failure is thrown as AppError for the command runner to print. */
  async call<M extends MethodName>(method: M, input: MethodInput<M>): Promise<MethodOutput<M>> {
    const result = await this.open().call(method, input);
    if (!result.ok) throw AppError.from(result.error);
    return result.value as MethodOutput<M>;
  }

  close(): void {
    this.core?.close();
    this.core = undefined;
  }
}
