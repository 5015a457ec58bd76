/**
 * The Provision page's third and fourth steps. Image and options: the image (desired images of the
 * inventory offered) and where the boxes get it (their registry, an archive uploaded to them, or a
 * library image sent as an archive, which sets the image), filesystem, root size, kernel arguments,
 * the SSH keys authorized for root (a .pub file can be loaded), the login Bootfleet uses after the
 * install, whether a new host key is accepted without asking, and each box's inventory entry.
 * Review: where the image comes from, then `provision.plan` for every box, showing the exact
 * command, the digest and the warnings; Install is possible only when every box plans cleanly.
 */
import { useEffect, useMemo, useRef, useState, type ReactElement } from 'react';
import type { LibraryImage } from '../../../shared/contract';
import { Field } from '../components/field';
import { LibraryImageSelect } from '../components/library-image-select';
import { AlertIcon, FileIcon, ProvisionIcon, RefreshIcon } from '../components/icons';
import { StepTitle } from '../components/step-title';
import { CopyButton, FullDigest } from '../components/status';
import { describeError } from '../lib/error-text';
import { formatBytes, plural, shortDigest } from '../lib/format';
import { imageLabel } from '../lib/library';
import { addressOf, chosenDisk, entryErrors, fitsArchitectures, ociArchitecture, optionErrors, planInput, targetOf, type BoxDraft, type ProvisionOptions } from '../lib/provision';
import { useDesired } from '../stores/desired';
import { useLibrary } from '../stores/library';
import { useProvision } from '../stores/provision';
import { useSites } from '../stores/sites';
import { useUi } from '../stores/ui';
import type { BrowseFile } from './provision-boxes';

/** Reads a .pub file chosen with the browser's own file chooser (its content is needed, not its path). */
function PubFileButton({ onText }: { onText(text: string, name: string): void }): ReactElement {
  const input = useRef<HTMLInputElement>(null);
  const [error, setError] = useState<string | null>(null);
  const choose = async (f: File | undefined): Promise<void> => {
    if (!f) return;
    setError(null);
    try {
      if (f.size > 64 * 1024) throw new Error(`${f.name} is ${Math.round(f.size / 1024)} KiB: a public key file is a few hundred bytes.`);
      onText(await f.text(), f.name);
    } catch (err) {
      setError(describeError(err));
    } finally {
      // Choosing the same file again must fire "change" again.
      if (input.current) input.current.value = '';
    }
  };
  return (
    <span className="pub-file">
      <input ref={input} id="provision-pub-file" type="file" accept=".pub,text/plain" className="file-input" onChange={(e) => void choose(e.target.files?.[0])} data-testid="provision-pub-file" />
      <label htmlFor="provision-pub-file" className="button small">
        <FileIcon size={14} /> Load .pub file…
      </label>
      {error ? (
        <span className="field-error" role="alert">
          {error}
        </span>
      ) : null}
    </span>
  );
}

/** Step 3: the image, the install options, the login after the install, the inventory entries. */
export function OptionsStep({ onBrowse }: { onBrowse: BrowseFile }): ReactElement {
  const o = useProvision((s) => s.options);
  const setOptions = useProvision((s) => s.setOptions);
  const boxes = useProvision((s) => s.boxes);
  const shared = useProvision((s) => s.shared);
  const updateBox = useProvision((s) => s.updateBox);
  const pattern = useProvision((s) => s.namePattern);
  const setPattern = useProvision((s) => s.setNamePattern);
  const fillNames = useProvision((s) => s.fillNames);
  const sites = useSites((s) => s.sites);
  const loadSites = useSites((s) => s.load);
  const entries = useDesired((s) => s.entries);
  const loadDesired = useDesired((s) => s.load);
  const [loaded, setLoaded] = useState<string | null>(null);

  useEffect(() => {
    if (sites === null) void loadSites();
    if (entries === null) void loadDesired();
  }, [sites, entries, loadSites, loadDesired]);

  // Boxes without a name get one from the pattern when this step opens.
  useEffect(() => {
    fillNames(false);
  }, [fillNames]);

  const desiredImages = useMemo(() => [...new Set((entries ?? []).map((e) => e.image))].sort(), [entries]);
  const errors = optionErrors(o);

  // The library source: the library read afresh each time it is shown (an image may have been
  // imported meanwhile); the first image that every box can run is chosen until one is.
  const libraryImages = useLibrary((s) => s.images);
  const libraryError = useLibrary((s) => s.loadError);
  const loadLibrary = useLibrary((s) => s.load);
  const chooseLibrary = useProvision((s) => s.chooseLibrary);
  const navigate = useUi((s) => s.navigate);
  const inspections = useProvision((s) => s.inspections);
  const architectures = [...new Set(boxes.map((b) => inspections[b.id]?.host?.architecture).filter((a): a is string => !!a).map(ociArchitecture))].sort();
  const fits = (img: LibraryImage): boolean => fitsArchitectures(img, architectures);
  const fallback = libraryImages?.find(fits) ?? null;
  const picked = libraryImages?.find((i) => i.id === o.library) ?? null;
  const chosen = picked && fits(picked) ? picked : fallback;
  useEffect(() => {
    if (o.source === 'library') void loadLibrary();
  }, [o.source, loadLibrary]);
  useEffect(() => {
    if (o.source === 'library' && libraryImages !== null && (chosen?.id ?? '') !== o.library) chooseLibrary(chosen);
  }, [o.source, libraryImages, chosen, o.library, chooseLibrary]);
  const chooseLibrarySource = (): void => {
    setOptions({ source: 'library' });
    if (chosen) chooseLibrary(chosen, true);
  };
  const imageHint =
    o.source === 'registry'
      ? `Pulled by each box from its registry; the installed system follows this reference for updates.${desiredImages.length ? ' The inventory’s desired images are offered.' : ''}`
      : o.source === 'library' && chosen && !chosen.reference
        ? 'This library image has no name: enter the registry reference the installed system follows for updates.'
        : `The installed system follows this reference for updates${o.source === 'library' && chosen ? ' (set from the library image; edit it to follow another)' : ''}.`;
  const keyCount = o.authorizedKeys.split('\n').filter((l) => l.trim() && !l.trim().startsWith('#')).length;

  return (
    <section className="panel flash-step" aria-labelledby="provision-step-options" data-testid="provision-options">
      <StepTitle n={3} id="provision-step-options">
        Image and options
      </StepTitle>
      <div className="form-grid provision-options-grid">
        <Field name="provision-image" label="Image" className="span-4" error={o.image.trim() ? errors.image : undefined} required hint={imageHint}>
          {(p) => (
            <>
              <input {...p} type="text" className="mono" value={o.image} onChange={(e) => setOptions({ image: e.target.value })} placeholder="registry.example/fleet/os:stable" spellCheck={false} list="provision-desired-images" />
              <datalist id="provision-desired-images">
                {desiredImages.map((i) => (
                  <option key={i} value={i} />
                ))}
              </datalist>
            </>
          )}
        </Field>
        <div className="span-4 provision-source">
          <div className="field">
            <span className="field-label" id="provision-source-label">
              The boxes get the image
            </span>
            <div className="toggle-group" role="group" aria-labelledby="provision-source-label">
              <button type="button" className={`toggle${o.source === 'registry' ? ' on' : ''}`} aria-pressed={o.source === 'registry'} onClick={() => setOptions({ source: 'registry' })} data-testid="provision-source-registry">
                From its registry
              </button>
              <button type="button" className={`toggle${o.source === 'archive' ? ' on' : ''}`} aria-pressed={o.source === 'archive'} onClick={() => setOptions({ source: 'archive' })} data-testid="provision-source-archive">
                Uploaded from an archive
              </button>
              <button type="button" className={`toggle${o.source === 'library' ? ' on' : ''}`} aria-pressed={o.source === 'library'} onClick={chooseLibrarySource} data-testid="provision-source-library">
                From the image library
              </button>
            </div>
          </div>
          {o.source === 'archive' ? (
            <Field
              name="provision-archive"
              label="OCI archive on this machine"
              className="provision-archive"
              error={o.archive.trim() ? errors.archive : undefined}
              hint="For sites whose boxes cannot reach a registry: sent to each box (an interrupted upload resumes) and its SHA-256 checked there. The image above is what the installed system follows for updates."
            >
              {(p) => (
                <div className="input-row">
                  <input {...p} type="text" className="mono" value={o.archive} onChange={(e) => setOptions({ archive: e.target.value })} placeholder="/srv/images/os-1.0.oci.tar" spellCheck={false} />
                  <button type="button" className="button" onClick={() => onBrowse('Choose an OCI archive', o.archive, (archive) => setOptions({ archive }))} aria-label="Browse for the archive">
                    Browse…
                  </button>
                </div>
              )}
            </Field>
          ) : null}
          {o.source === 'library' ? (
            <Field
              name="provision-library"
              label="Library image"
              className="provision-library"
              error={!!libraryImages?.length && !chosen ? (architectures.length ? `No library image has a build for ${architectures.join(' and ')}` : errors.library) : undefined}
              hint={
                chosen ? (
                  <span data-testid="provision-library-hint">
                    {chosen.architectures.join(', ') || 'no platform'} · {formatBytes(chosen.size)} · digest <span className="mono">{shortDigest(chosen.digest)}</span>. Written once as an archive, sent to each box (an interrupted upload resumes) and its SHA-256 checked there.
                    {chosen.reference && o.image.trim() !== chosen.reference ? (
                      <>
                        {' '}
                        <button type="button" className="link-button" onClick={() => chooseLibrary(chosen, true)} data-testid="provision-library-follow">
                          Follow {chosen.reference}
                        </button>
                      </>
                    ) : null}
                  </span>
                ) : undefined
              }
            >
              {(p) => (
                <LibraryImageSelect
                  id={p.id}
                  testId={p['data-testid']}
                  emptyTestId="provision-library-empty"
                  images={libraryImages}
                  loadError={libraryError}
                  chosen={chosen}
                  onChoose={(id) => chooseLibrary(libraryImages?.find((i) => i.id === id) ?? null)}
                  fits={fits}
                  unfitNote={`no ${architectures.join(' or ')} build`}
                  invalid={p['aria-invalid']}
                  describedBy={p['aria-describedby']}
                  onOpenImages={() => navigate('images')}
                />
              )}
            </Field>
          ) : null}
        </div>
        <Field name="provision-filesystem" label="Root filesystem" hint="The image’s own default unless chosen.">
          {(p) => (
            <select {...p} value={o.filesystem} onChange={(e) => setOptions({ filesystem: e.target.value as typeof o.filesystem })}>
              <option value="">Default of the image</option>
              <option value="xfs">xfs</option>
              <option value="ext4">ext4</option>
              <option value="btrfs">btrfs</option>
            </select>
          )}
        </Field>
        <Field name="provision-root-size" label="Root size" error={errors.rootSize} hint="e.g. 20G; the rest of the disk when empty.">
          {(p) => <input {...p} type="text" className="mono" value={o.rootSize} onChange={(e) => setOptions({ rootSize: e.target.value })} placeholder="rest of the disk" spellCheck={false} />}
        </Field>
        <Field name="provision-kargs" label="Kernel arguments" className="span-2" error={errors.kargs} hint="One per line, added to the installed system’s kernel command line.">
          {(p) => <textarea {...p} rows={2} className="mono" value={o.kargs} onChange={(e) => setOptions({ kargs: e.target.value })} placeholder="console=ttyS0,115200n8" spellCheck={false} />}
        </Field>
        <div className="span-4 provision-keys-field">
          <Field
            name="provision-authorized-keys"
            label="SSH public keys authorized for root"
            error={errors.authorizedKeys}
            hint={
              loaded ? (
                <>
                  Loaded {loaded}. {plural(keyCount, 'key')} in all.
                </>
              ) : (
                'One per line, as in authorized_keys. Without one, logging in after the install needs whatever the image allows.'
              )
            }
          >
            {(p) => (
              <textarea
                {...p}
                rows={3}
                className="mono provision-keys"
                value={o.authorizedKeys}
                onChange={(e) => setOptions({ authorizedKeys: e.target.value })}
                placeholder="ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA… tech@bench"
                spellCheck={false}
              />
            )}
          </Field>
          <PubFileButton
            onText={(text, name) => {
              const current = useProvision.getState().options.authorizedKeys.trim();
              setOptions({ authorizedKeys: current ? `${current}\n${text.trim()}` : text.trim() });
              setLoaded(name);
            }}
          />
        </div>
      </div>

      <h3 className="subhead">After the install, Bootfleet logs in</h3>
      <div className="form-grid provision-options-grid">
        <Field name="provision-login-user" label="As user" error={errors.loginUser} hint="root, or a user of the image with passwordless sudo.">
          {(p) => <input {...p} type="text" value={o.loginUser} onChange={(e) => setOptions({ loginUser: e.target.value })} spellCheck={false} />}
        </Field>
        <Field name="provision-login-key" label="With the private key" className="span-3" error={errors.loginKeyPath} hint="Its public key must be among those authorized above. Empty: the SSH agent.">
          {(p) => (
            <div className="input-row">
              <input {...p} type="text" className="mono" value={o.loginKeyPath} onChange={(e) => setOptions({ loginKeyPath: e.target.value })} placeholder="/home/tech/.ssh/id_ed25519" spellCheck={false} />
              <button type="button" className="button" onClick={() => onBrowse('Choose the private key for after the install', o.loginKeyPath, (loginKeyPath) => setOptions({ loginKeyPath }), '~/.ssh')} aria-label="Browse for the private key used after the install">
                Browse…
              </button>
            </div>
          )}
        </Field>
        <Field name="provision-wait" label="Reboot wait" error={errors.waitSeconds} hint="Seconds a box may take to come back.">
          {(p) => (
            <span className="number-input">
              <input {...p} type="number" inputMode="numeric" value={o.waitSeconds} onChange={(e) => setOptions({ waitSeconds: e.target.value })} />
              <span className="muted">s</span>
            </span>
          )}
        </Field>
        <Field name="provision-parallel" label="Boxes at once" error={errors.parallel} hint="Installed at the same time.">
          {(p) => <input {...p} type="number" inputMode="numeric" value={o.parallel} onChange={(e) => setOptions({ parallel: e.target.value })} />}
        </Field>
      </div>
      <label className="check plan-check">
        <input type="checkbox" checked={o.acceptNewHostKey} onChange={(e) => setOptions({ acceptNewHostKey: e.target.checked })} data-testid="provision-accept-host-key" />
        <span>
          Accept the new host key without asking{' '}
          <span className="muted">— the installed system makes a new SSH host key; otherwise each box waits for you to compare it with its console and confirm it</span>
        </span>
      </label>

      <div className="panel-head provision-entries-head">
        <h3 className="subhead">In the inventory</h3>
        {boxes.length > 1 ? (
          <div className="input-row provision-pattern">
            <label htmlFor="f-provision-pattern" className="muted small">
              Names from
            </label>
            <input id="f-provision-pattern" type="text" className="mono" value={pattern} onChange={(e) => setPattern(e.target.value)} spellCheck={false} title="{n} is the box’s number, {nn} with two digits" />
            <button type="button" className="button small" onClick={() => fillNames(true)} data-testid="provision-fill-names">
              Fill names
            </button>
          </div>
        ) : null}
      </div>
      <div className="simple-table-wrap">
        <table className="simple-table provision-entries" aria-label="Inventory entries">
          <thead>
            <tr>
              <th scope="col">Box</th>
              <th scope="col">Name</th>
              <th scope="col">Site</th>
              <th scope="col">Tags</th>
            </tr>
          </thead>
          <tbody>
            {boxes.map((b, i) => (
              <EntryRow key={b.id} box={b} index={i} address={addressOf(targetOf(b, shared))} all={boxes} sites={(sites ?? []).map((s) => s.name)} onChange={(patch) => updateBox(b.id, patch)} />
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

function EntryRow({ box, index, address, all, sites, onChange }: { box: BoxDraft; index: number; address: string; all: BoxDraft[]; sites: string[]; onChange(patch: Partial<BoxDraft>): void }): ReactElement {
  const n = index + 1;
  const errors = entryErrors(box, all);
  return (
    <tr data-testid="entry-row" data-index={n}>
      <td className="nowrap">
        <span className="box-num" aria-hidden="true">
          {n}
        </span>{' '}
        <span className="mono">{address}</span>
      </td>
      <td>
        <Field name={`entry-${n}-name`} label={`Name of box ${n}`} error={box.name ? errors.name : undefined} className="entry-field">
          {(p) => <input {...p} type="text" value={box.name} onChange={(e) => onChange({ name: e.target.value })} placeholder="edge-01" spellCheck={false} />}
        </Field>
      </td>
      <td>
        <Field name={`entry-${n}-site`} label={`Site of box ${n}`} className="entry-field">
          {(p) => (
            <select {...p} value={box.site} onChange={(e) => onChange({ site: e.target.value })}>
              <option value="">No site</option>
              {sites.map((s) => (
                <option key={s} value={s}>
                  {s}
                </option>
              ))}
            </select>
          )}
        </Field>
      </td>
      <td>
        <Field name={`entry-${n}-tags`} label={`Tags of box ${n}`} error={errors.tags} className="entry-field">
          {(p) => <input {...p} type="text" value={box.tags} onChange={(e) => onChange({ tags: e.target.value })} placeholder="edge, line-3" spellCheck={false} />}
        </Field>
      </td>
    </tr>
  );
}

/** One box's plan: the exact command and digest, or why the core refused it. */
function BoxPlan({ box, index }: { box: BoxDraft; index: number }): ReactElement {
  const shared = useProvision((s) => s.shared);
  const options = useProvision((s) => s.options);
  const check = useProvision((s) => s.plans[box.id]);
  const host = useProvision((s) => s.inspections[box.id]?.host ?? null);
  const n = index + 1;
  const key = JSON.stringify(planInput(box, shared, options));
  const current = check?.key === key ? check : null;
  const disk = chosenDisk(box, host);
  const state = current?.state ?? 'busy';
  return (
    <li className={`plan-box plan-box-${state}`} data-testid="plan-box" data-index={n} data-state={state} aria-label={`Box ${n}: ${box.name}`}>
      <div className="plan-box-head">
        <span className="box-num" aria-hidden="true">
          {n}
        </span>
        <span className="mono">{addressOf(targetOf(box, shared))}</span>
        <span aria-hidden="true">→</span>
        <strong>{box.site ? `${box.site}/${box.name.trim()}` : box.name.trim()}</strong>
        {disk ? (
          <span className="muted small">
            on <span className="mono">{disk.path}</span> ({disk.description}){box.wipe ? ', wiped' : ''}
          </span>
        ) : null}
      </div>
      {!current || current.state === 'busy' ? (
        <p className="muted plan-loading" role="status">
          <RefreshIcon className="spin" size={14} />{' '}
          {options.source === 'library' ? 'Checking against the box and reading the library image (its archive is written once; nothing is written to the box)…' : 'Checking against the box and resolving the image (nothing is written)…'}
        </p>
      ) : current.state === 'error' || !current.plan ? (
        <div className="form-error" role="alert" data-testid="plan-error">
          <AlertIcon />
          <span>{current.error}</span>
        </div>
      ) : (
        <>
          <dl className="plan-slots">
            <dt>Digest</dt>
            <dd data-testid="plan-digest">
              <FullDigest digest={current.plan.digest} />
            </dd>
            <dt>Command</dt>
            <dd>
              <div className="plan-command">
                <pre className="plan-commands" data-testid="plan-command">
                  {current.plan.command}
                </pre>
                <CopyButton text={current.plan.command} what="command" testId="copy-command" />
              </div>
            </dd>
          </dl>
          {current.plan.warnings.length ? (
            <ul className="plan-warnings" data-testid="plan-warnings">
              {current.plan.warnings.map((w) => (
                <li key={w} className="note-warn">
                  <AlertIcon size={14} /> <span>{w}</span>
                </li>
              ))}
            </ul>
          ) : null}
        </>
      )}
    </li>
  );
}

/** Where the boxes get the image and what the installed system follows, in one line. */
function ImageSource({ options: o }: { options: ProvisionOptions }): ReactElement {
  const images = useLibrary((s) => s.images);
  const loadLibrary = useLibrary((s) => s.load);
  const library = o.source === 'library';
  useEffect(() => {
    if (library && images === null) void loadLibrary();
  }, [library, images, loadLibrary]);
  const image = <span className="mono">{o.image.trim()}</span>;
  if (o.source === 'registry') return <span>{image}, pulled by each box from its registry.</span>;
  const img = library ? images?.find((i) => i.id === o.library) : undefined;
  const from = library ? (
    <>
      <span className="mono">{img ? imageLabel(img) : o.library}</span> from the image library
    </>
  ) : (
    <span className="mono">{o.archive.trim()}</span>
  );
  return (
    <span>
      {from}, sent as an archive to each box; the installed system follows {image} for updates.
    </span>
  );
}

/** Step 4: every box's plan, and Install. */
export function ReviewStep(): ReactElement {
  const boxes = useProvision((s) => s.boxes);
  const shared = useProvision((s) => s.shared);
  const options = useProvision((s) => s.options);
  const plans = useProvision((s) => s.plans);
  const planAll = useProvision((s) => s.planAll);
  const start = useProvision((s) => s.start);
  const starting = useProvision((s) => s.starting);
  const startError = useProvision((s) => s.startError);
  const inspections = useProvision((s) => s.inspections);

  // Plans follow what they are of (a change made on another step and back here plans again).
  const keys = boxes.map((b) => JSON.stringify(planInput(b, shared, options)));
  const keysText = keys.join('\n');
  useEffect(() => {
    void planAll();
  }, [keysText, planAll]);

  const states = boxes.map((b, i) => (plans[b.id]?.key === keys[i] ? plans[b.id]!.state : 'busy'));
  const failed = states.filter((s) => s === 'error').length;
  const pending = states.filter((s) => s === 'busy').length;
  const ready = failed === 0 && pending === 0;
  const erased = boxes.map((b) => chosenDisk(b, inspections[b.id]?.host ?? null)).filter((d) => d !== null);

  return (
    <section className="panel flash-step" aria-labelledby="provision-step-review" data-testid="provision-review">
      <div className="panel-head">
        <StepTitle n={4} id="provision-step-review">
          Review
        </StepTitle>
        <button type="button" className="button small" onClick={() => void planAll()} disabled={pending > 0} data-testid="provision-replan">
          <RefreshIcon size={14} className={pending ? 'spin' : undefined} /> Check again
        </button>
      </div>
      <p className="muted small flash-step-hint">
        Each box was asked again, and the image resolved to the digest that will be installed. This is the exact command each box will run.
      </p>
      <dl className="plan-slots provision-review-image">
        <dt>Image</dt>
        <dd data-testid="provision-review-source">
          <ImageSource options={options} />
        </dd>
      </dl>
      <ol className="plan-box-list">
        {boxes.map((b, i) => (
          <BoxPlan key={b.id} box={b} index={i} />
        ))}
      </ol>
      <dl className="plan-slots provision-then">
        <dt>Then</dt>
        <dd>
          <span>
            Each box reboots into the installed system; {options.acceptNewHostKey ? 'its new host key is accepted (and logged)' : 'you confirm its new host key here'}; Bootfleet logs
            in as <strong>{options.loginUser.trim() || 'root'}</strong>
            {options.loginKeyPath.trim() ? (
              <>
                {' '}
                with <span className="mono">{options.loginKeyPath.trim()}</span>
              </>
            ) : (
              ' through the SSH agent'
            )}
            , verifies the booted digest and enters it in the inventory.
          </span>
        </dd>
      </dl>
      <div className="flash-write-row">
        <p className="flash-write-summary" data-testid="provision-install-summary">
          {ready ? (
            <>
              Installs on <strong>{plural(boxes.length, 'box', 'boxes')}</strong>. Everything on {erased.map((d) => d.path).join(', ')} is erased.
            </>
          ) : pending ? (
            <span className="muted">Checking {plural(pending, 'box', 'boxes')}…</span>
          ) : (
            <span className="bad-text">
              {plural(failed, 'box', 'boxes')} cannot be installed as chosen: see {failed === 1 ? 'its error' : 'their errors'} above, then go back and change it.
            </span>
          )}
        </p>
        <button type="button" className="button button-danger" onClick={() => void start()} disabled={!ready || starting} data-testid="provision-install">
          <ProvisionIcon size={15} /> {starting ? 'Starting…' : boxes.length > 1 ? `Install on ${boxes.length} boxes` : 'Install'}
        </button>
      </div>
      {startError ? (
        <div className="form-error" role="alert" data-testid="provision-start-error">
          <AlertIcon />
          <span>{startError}</span>
        </div>
      ) : null}
    </section>
  );
}
