import { createHash } from 'node:crypto';
import type { MethodArgs, ProvisionHost, ProvisionPlan } from '../../../shared/contract';
import type { RegistryClient } from '../registry/client';
import type { HostKeysRepo } from '../ssh/host-keys';
import type { SshPool } from '../ssh/pool';
import { INSPECT_SCRIPT, parseInspect, provisionTarget } from './inspect';
import { planInstall } from './plan';

/**
 * Provisioning boxes over SSH (issue 7). Inspecting connects as the technician typed (a password
 * is common on live media), pins the live system's host key on first use, and reads in one round
 * trip what an install needs to know.
 */
export class ProvisionService {
  constructor(private readonly d: { pool: SshPool; hostKeys: HostKeysRepo; registry: RegistryClient; agentSocket: string | undefined; commandTimeoutMs: number }) {}

  /** Inspects the box, resolves the image, and returns the exact command an install would run. */
  async plan(input: MethodArgs<'provision.plan'>): Promise<ProvisionPlan> {
    const [host, resolved] = await Promise.all([this.inspect({ target: input.target }), this.d.registry.resolve(input.image)]);
    const p = planInstall(host, input, resolved);
    return { host, digest: p.digest, command: p.command, argv: p.argv, warnings: p.warnings };
  }

  async inspect(input: MethodArgs<'provision.inspect'>): Promise<ProvisionHost> {
    const target = provisionTarget(input.target, this.d.agentSocket);
    // An idle connection is reused only with the same credentials (a retyped password is tried afresh).
    const secret = input.target.password === undefined ? null : createHash('sha256').update(input.target.password).digest('hex');
    const key = `provision:${JSON.stringify([input.target.host, input.target.port, input.target.user, input.target.keyPath ?? null, secret])}`;
    const out = await this.d.pool.with(key, target, (conn) => conn.exec(['sh', '-c', INSPECT_SCRIPT], { timeoutMs: this.d.commandTimeoutMs, maxStdout: 4 * 1024 * 1024 }));
    const pinned = this.d.hostKeys.get(target.device.pinId);
    return parseInspect(out.stdout.toString('utf8'), `${input.target.host}:${input.target.port}`, pinned ? { keyType: pinned.keyType, fingerprint: pinned.fingerprint } : null);
  }
}
