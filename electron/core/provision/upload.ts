import { AppError, ErrorCode } from '../../../shared/errors';
import { formatSize } from '../flash/drives';
import type { SshConnection } from '../ssh/connection';
import { shellLine } from '../ssh/quote';
import { RESUME_WINDOW, sftpSize as stat, writeWindowed, type RateLimit, type UploadProgress } from '../ssh/sftp';

/** Room left beside the archive on the box (logs, podman's own files). */
const SPARE = 64 * 1024 * 1024;

export class UploadFailure extends AppError {
  constructor(
    message: string,
    readonly next: string,
  ) {
    super(ErrorCode.REMOTE_COMMAND_FAILED, message);
  }
}

/**
 * Puts a local file on the box at `remote`, resumably: the bytes go to `remote.part` (an
 * interrupted upload continues from its length), then the box's own `sha256sum` must equal
 * `sha256` before the file takes its final name. A file already complete there is checked and
 * kept. Free space is checked first. `log` gets one line per step.
 */
export async function uploadVerified(
  conn: SshConnection,
  local: { path: string; size: number; sha256: string },
  remote: string,
  opts: {
    timeoutMs: number;
    signal: AbortSignal;
    onProgress: (p: UploadProgress) => void;
    log: (line: string) => void;
    limit?: RateLimit | undefined;
    /** What the messages call the other end (default "box", a machine being provisioned). */
    where?: string;
    /** The next step when there is no room, and when the file arrived damaged. */
    next?: { space: string; damaged: string };
  },
): Promise<{ uploaded: number; resumedFrom: number }> {
  const where = opts.where ?? 'box';
  const next = opts.next ?? {
    space: 'Free space on the box, or mount a disk at /var/tmp/bootfleet there (live media keep /var/tmp in RAM), then provision again: the upload resumes.',
    damaged: "Provision again to upload it afresh; if it happens again, check the network and the box's memory.",
  };
  const dir = remote.slice(0, remote.lastIndexOf('/'));
  const part = `${remote}.part`;
  const exec = async (argv: string[], what: string): Promise<string> => {
    const r = await conn.exec(argv, { timeoutMs: opts.timeoutMs, signal: opts.signal });
    if (r.exitCode !== 0) throw new AppError(ErrorCode.REMOTE_COMMAND_FAILED, `${what} failed on the ${where}: ${r.stderr.trim().split('\n')[0] || `exit status ${r.exitCode}`}`);
    return r.stdout.toString('utf8');
  };
  const sha256On = async (path: string): Promise<string> => {
    opts.log(`$ ${shellLine(['sha256sum', '--', path])}`);
    return (await exec(['sha256sum', '--', path], 'sha256sum')).split(/\s/)[0] ?? '';
  };
  // The directory is the login's own (SFTP writes as the login); bootc reads it as root.
  await exec(['mkdir', '-p', '--', dir], `mkdir ${dir}`);
  const sftp = await conn.sftp();
  try {
    const whole = await stat(sftp, remote);
    if (whole === local.size) {
      if ((await sha256On(remote)) === local.sha256) {
        opts.log(`The archive is already on the ${where} (${remote}, SHA-256 checked); not sent again.`);
        opts.onProgress({ done: local.size, total: local.size, bytesPerSecond: 0 });
        return { uploaded: 0, resumedFrom: local.size };
      }
      await exec(['rm', '-f', '--', remote], 'rm');
    }
    const partial = (await stat(sftp, part)) ?? 0;
    const from = partial > local.size ? 0 : Math.max(0, partial - RESUME_WINDOW);
    const avail = Number((await exec(['df', '-P', '-B1', '--', dir], 'df')).trim().split('\n').pop()?.split(/\s+/)[3] ?? NaN);
    const need = local.size - partial;
    if (Number.isFinite(avail) && avail < need + SPARE) {
      throw new UploadFailure(
        `no space for the image archive: ${dir} on the ${where} has ${formatSize(avail)} free, the archive needs ${formatSize(need)} more${partial ? ` (${formatSize(partial)} already there)` : ''}.`,
        next.space,
      );
    }
    opts.log(from ? `Resuming the upload at ${formatSize(from)} of ${formatSize(local.size)} (${part}).` : `Uploading ${local.path} (${formatSize(local.size)}) to ${part}.`);
    if (from < local.size) {
      await writeWindowed(sftp, local, part, from, opts).catch((e: unknown) => {
        if (opts.signal.aborted) throw new AppError(ErrorCode.CANCELED, 'cancelled');
        throw e instanceof AppError ? e : new AppError(ErrorCode.SSH_DISCONNECTED, `the upload stopped: ${(e as Error).message}`);
      });
    }
    const got = await sha256On(part);
    if (got !== local.sha256) {
      await exec(['rm', '-f', '--', part], 'rm');
      throw new UploadFailure(
        `the archive arrived damaged: its SHA-256 on the ${where} is ${got.slice(0, 16)}…, not ${local.sha256.slice(0, 16)}… (removed).`,
        next.damaged,
      );
    }
    await exec(['mv', '-f', '--', part, remote], 'mv');
    opts.log(`The archive is on the ${where} (${remote}), SHA-256 checked.`);
    return { uploaded: local.size - from, resumedFrom: from };
  } finally {
    sftp.end();
  }
}
