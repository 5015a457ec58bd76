/**
 * One library image (`#/images/<id>`): what it is (reference, digest, version, when built, size,
 * where it came from), its platforms with their manifest digests and layers, and the devices it is
 * deployed on (booted, staged or as rollback), each a link to the device's page. Export and Remove.
 */
import { Fragment, useEffect, useState, type ReactElement } from 'react';
import { BackLink, DetailPlaceholder } from '../components/detail-frame';
import { ChevronRightIcon, ImagesIcon, TrashIcon, UploadIcon } from '../components/icons';
import { FullDigest, RelativeTime, ShortDigest } from '../components/status';
import { formatBytes, formatTime, plural } from '../lib/format';
import { deployedText, imageLabel, platformLabel, sourceText, type LibraryDetail, type LibraryManifest } from '../lib/library';
import { useLibrary } from '../stores/library';
import { routeHref, useUi } from '../stores/ui';
import { ArchChips } from './images-page';
import { ExportDialog, RemoveImageDialog } from './library-dialogs';

const slotLabel: Record<LibraryDetail['devices'][number]['slot'], string> = { booted: 'booted', staged: 'staged', rollback: 'rollback' };

function PlatformRows({ m }: { m: LibraryManifest }): ReactElement {
  const [open, setOpen] = useState(false);
  const layers = m.layers.reduce((n, l) => n + l.size, 0);
  return (
    <Fragment>
      <tr data-testid="image-platform" data-platform={platformLabel(m)}>
        <td className="nowrap">
          <button type="button" className="disclosure" aria-expanded={open} onClick={() => setOpen(!open)} data-testid="image-platform-toggle" title={open ? 'Hide the layers' : 'Show the layers'}>
            <ChevronRightIcon size={13} className={open ? 'rot-90' : undefined} />
            <span className="mono cell-strong">{platformLabel(m)}</span>
          </button>
        </td>
        <td className="nowrap" data-testid="image-platform-digest">
          <ShortDigest digest={m.digest} />
        </td>
        <td className="num" data-testid="image-platform-layers">
          {m.layers.length}
        </td>
        <td className="num nowrap">{formatBytes(layers)}</td>
        <td className="num nowrap">{formatBytes(m.size)}</td>
        <td className="nowrap">
          <ShortDigest digest={m.configDigest} />
        </td>
      </tr>
      {open ? (
        <tr className="layer-rows">
          <td colSpan={6}>
            <ol className="layer-list" data-testid="image-layers">
              {m.layers.map((l, i) => (
                <li key={`${l.digest}-${i}`}>
                  <span className="muted layer-n">{i + 1}</span>
                  <code className="layer-digest">{l.digest}</code>
                  <span className="num nowrap">{formatBytes(l.size)}</span>
                </li>
              ))}
            </ol>
          </td>
        </tr>
      ) : null}
    </Fragment>
  );
}

function Devices({ image }: { image: LibraryDetail }): ReactElement {
  const navigate = useUi((s) => s.navigate);
  const deployed = deployedText(image.deployed);
  return (
    <section className="panel" data-testid="image-devices" id="deployed">
      <h2 className="panel-title">
        Deployed on{deployed ? <span className="muted panel-title-note"> · {deployed}</span> : null}
      </h2>
      {image.devices.length === 0 ? (
        <p className="muted">
          No device is known to have it (booted, staged or as rollback), as of each device’s last refresh. A device’s Switch image can send it from the library
          over SSH.
        </p>
      ) : (
        <div className="simple-table-wrap">
          <table className="simple-table">
            <thead>
              <tr>
                <th scope="col">Device</th>
                <th scope="col">Site</th>
                <th scope="col">As</th>
              </tr>
            </thead>
            <tbody>
              {image.devices.map((d) => (
                <tr key={`${d.id}-${d.slot}`} data-testid="image-device" data-name={d.name} data-slot={d.slot}>
                  <td className="cell-strong">
                    <a
                      href={routeHref('devices', d.id)}
                      onClick={(e) => {
                        e.preventDefault();
                        navigate('devices', d.id);
                      }}
                    >
                      {d.name}
                    </a>
                  </td>
                  <td>{d.site ?? <span className="muted">no site</span>}</td>
                  <td>
                    <span className={`badge slot-badge${d.slot === 'booted' ? ' badge-ok' : d.slot === 'staged' ? ' badge-staged' : ''}`}>{slotLabel[d.slot]}</span>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {image.devices.length >= 500 ? <p className="muted small">The first 500 are listed.</p> : null}
    </section>
  );
}

/** The image view. */
export function ImagePage({ id }: { id: string }): ReactElement {
  const entry = useLibrary((s) => s.details[id]);
  const listed = useLibrary((s) => s.images?.find((i) => i.id === id) ?? null);
  const loadDetail = useLibrary((s) => s.loadDetail);
  const loadList = useLibrary((s) => s.load);
  const hasList = useLibrary((s) => s.images !== null);
  const navigate = useUi((s) => s.navigate);
  const [dialog, setDialog] = useState<'export' | 'remove' | null>(null);

  useEffect(() => {
    void loadDetail(id);
    if (!hasList) void loadList();
  }, [id, loadDetail, loadList, hasList]);

  const back = <BackLink page="images" label="Images" />;
  if (!entry?.data) {
    if (entry?.code === 'NOT_FOUND') {
      return (
        <DetailPlaceholder
          back={back}
          notFound={{ heading: 'Image not found', title: 'No such image in the library', icon: <ImagesIcon size={28} />, message: entry.error ?? 'It may have been removed.' }}
        />
      );
    }
    if (entry?.error) {
      return <DetailPlaceholder back={back} notFound={{ heading: 'Image', title: 'Could not read the image', icon: <ImagesIcon size={28} />, message: entry.error }} />;
    }
    return <DetailPlaceholder back={back} />;
  }
  const img = entry.data;
  const src = sourceText(img.source);
  const isIndex = /index|manifest\.list/.test(img.mediaType);
  return (
    <div className="page" data-testid="image-page" data-id={img.id}>
      <div className="page-header">
        <div>
          {back}
          <h1 data-testid="image-title">{imageLabel(img)}</h1>
          <p className="page-subtitle">
            {img.version ? <>version {img.version} · </> : null}
            {plural(img.manifests.length, 'platform')} · {formatBytes(img.size)}
          </p>
        </div>
        <div className="page-actions">
          <button type="button" className="button" onClick={() => setDialog('export')} data-testid="image-export">
            <UploadIcon /> Export…
          </button>
          <button type="button" className="button button-danger-ghost" onClick={() => setDialog('remove')} data-testid="image-remove">
            <TrashIcon /> Remove…
          </button>
        </div>
      </div>
      <div className="page-body scroll">
        <section className="panel" data-testid="image-overview">
          <h2 className="panel-title">Image</h2>
          <dl className="info-list">
            <dt>Reference</dt>
            <dd>{img.reference ? <code>{img.reference}</code> : img.tag ? <>tag <code>{img.tag}</code> <span className="muted">(no repository name)</span></> : <span className="muted">none (named by its digest)</span>}</dd>
            <dt>Digest</dt>
            <dd>
              <FullDigest digest={img.digest} testId="image-digest" />
              <span className="muted small"> {isIndex ? 'image index (multi-platform)' : 'image manifest'}</span>
            </dd>
            <dt>Version</dt>
            <dd data-testid="image-version">{img.version ?? <span className="muted">not labelled</span>}</dd>
            <dt>Built</dt>
            <dd>{img.created ? formatTime(img.created) : <span className="muted">unknown</span>}</dd>
            <dt>Architectures</dt>
            <dd>
              <ArchChips archs={img.architectures} />
            </dd>
            <dt>Size</dt>
            <dd>{formatBytes(img.size)} <span className="muted small">(every blob it uses, shared ones included)</span></dd>
            <dt>Source</dt>
            <dd data-testid="image-source">
              <span className="badge">{src.kind}</span> <code className="wrap-anywhere">{src.where}</code>
            </dd>
            <dt>Added</dt>
            <dd>
              <RelativeTime iso={img.addedAt} /> <span className="muted">by {img.addedBy}</span>
            </dd>
          </dl>
        </section>
        <section className="panel" data-testid="image-platforms">
          <h2 className="panel-title">Platforms</h2>
          <div className="simple-table-wrap">
            <table className="simple-table platform-table">
              <thead>
                <tr>
                  <th scope="col">Platform</th>
                  <th scope="col">Manifest digest</th>
                  <th scope="col" className="num">
                    Layers
                  </th>
                  <th scope="col" className="num nowrap" title="The layers' bytes">
                    Layers size
                  </th>
                  <th scope="col" className="num nowrap" title="Manifest, config and layers">
                    Total
                  </th>
                  <th scope="col">Config</th>
                </tr>
              </thead>
              <tbody>
                {img.manifests.map((m) => (
                  <PlatformRows key={m.digest} m={m} />
                ))}
              </tbody>
            </table>
          </div>
          <p className="muted small platform-note">
            A device reports the manifest digest of its platform: that is the digest its page shows once it runs this image.
          </p>
        </section>
        <Devices image={img} />
      </div>
      {dialog === 'export' ? <ExportDialog image={listed ?? img} imageRef={img.id} onClose={() => setDialog(null)} /> : null}
      {dialog === 'remove' ? (
        <RemoveImageDialog image={listed ?? img} imageRef={img.id} onClose={() => setDialog(null)} onRemoved={() => navigate('images')} />
      ) : null}
    </div>
  );
}
