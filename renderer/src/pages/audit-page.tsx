/**
 * Audit (`#/audit`): which devices run exactly their desired image, computed from the inventory
 * alone (`audit.run`), with the reason for each one that does not, the counts over past weeks
 * when asked, and the report as the CLI's files (HTML, PDF, CSV, JSON, signed JSON). It runs on
 * open and again when a filter changes.
 */
import { useEffect, type ReactElement } from 'react';
import { AlertIcon, AuditIcon, PackageIcon, RefreshIcon, SearchIcon } from '../components/icons';
import { EmptyState } from '../components/empty-state';
import { localDay } from '../lib/audit';
import { auditInput, useAudit } from '../stores/audit';
import { useDevices } from '../stores/devices';
import { useSites } from '../stores/sites';
import { useUi } from '../stores/ui';
import { AuditDevices } from './audit-devices';
import { AuditExportMenu } from './audit-export-menu';
import { AuditCounts, AuditHeader, AuditSites } from './audit-summary';
import { AuditTimeline } from './audit-timeline';
import { SiteSelect, TagSelect } from './device-filter-controls';

function Toolbar(): ReactElement {
  const filters = useAudit((s) => s.filters);
  const running = useAudit((s) => s.running);
  const { setFilters, run } = useAudit.getState();
  const { errors } = auditInput(filters);
  return (
    <>
      <div className="toolbar audit-toolbar" role="search">
        <SiteSelect value={filters.site} onChange={(site) => setFilters({ site })} testId="audit-site-filter" noSite={false} />
        <TagSelect value={filters.tag ? [filters.tag] : []} onChange={(tags) => setFilters({ tag: tags[0] ?? null })} testId="audit-tag-filter" />
        <label className="inline-field" title="Audit a past day from the stored snapshots (empty: now)">
          <span>As of</span>
          <input
            type="date"
            value={filters.asOf}
            max={localDay()}
            onChange={(e) => setFilters({ asOf: e.target.value })}
            aria-invalid={errors.asOf ? true : undefined}
            data-testid="audit-as-of"
          />
        </label>
        <label className="inline-field" title="Data older than this cannot vouch for a device. Empty: each site's own threshold (Sites page), else 7 days">
          <span>Stale after</span>
          <input
            type="text"
            inputMode="decimal"
            className="days-input"
            value={filters.staleDays}
            onChange={(e) => setFilters({ staleDays: e.target.value })}
            placeholder="site's"
            aria-invalid={errors.staleDays ? true : undefined}
            data-testid="audit-stale-after"
          />
          <span>days</span>
        </label>
        <button type="button" className="button" onClick={() => void run()} disabled={running || !!errors.asOf || !!errors.staleDays} data-testid="audit-run">
          <RefreshIcon /> {running ? 'Running…' : 'Run again'}
        </button>
      </div>
      {errors.asOf || errors.staleDays ? (
        <p className="field-error audit-input-error" role="alert" data-testid="audit-input-error">
          {[errors.asOf && `As of: ${errors.asOf}`, errors.staleDays && `Stale after: ${errors.staleDays}`].filter(Boolean).join(' ')}
        </p>
      ) : null}
    </>
  );
}

function Body(): ReactElement {
  const { report, running, error, stateFilter, showAll, paging } = useAudit();
  const { setStateFilter, setShowAll, showMore, setFilters, run } = useAudit.getState();
  const navigate = useUi((s) => s.navigate);

  if (error) {
    return (
      <section className="alert alert-danger" role="alert" data-testid="audit-error">
        <AlertIcon size={18} />
        <div className="alert-body">
          <h2>The audit failed</h2>
          <p>{error}</p>
          <div className="alert-actions">
            <button type="button" className="button" onClick={() => void run()}>
              Try again
            </button>
          </div>
        </div>
      </section>
    );
  }
  if (!report) return <div className="loading-line">{running ? 'Running the audit…' : 'Set valid filters to run the audit.'}</div>;
  if (report.total === 0) {
    const scoped = report.scope.site !== null || report.scope.tag !== null;
    return scoped ? (
      <EmptyState
        icon={<SearchIcon size={28} />}
        title="No devices in this scope"
        actions={
          <button type="button" className="button" onClick={() => setFilters({ site: null, tag: null })}>
            Clear filters
          </button>
        }
      >
        <p>No device matches {[report.scope.site && `site ${report.scope.site}`, report.scope.tag && `tag ${report.scope.tag}`].filter(Boolean).join(' and ')}.</p>
      </EmptyState>
    ) : (
      <EmptyState
        icon={<AuditIcon size={28} />}
        title="No devices to audit"
        actions={
          <button type="button" className="button" onClick={() => navigate('devices')}>
            Go to Devices
          </button>
        }
      >
        <p>Add devices and set their desired images; the audit then shows which run exactly what they should.</p>
      </EmptyState>
    );
  }
  const showSites = report.sites.length > 1 || report.sites[0]?.site != null;
  return (
    <>
      <section className="panel audit-summary">
        <AuditHeader report={report} />
        <AuditCounts report={report} selected={stateFilter} onSelect={setStateFilter} />
      </section>
      {showSites ? <AuditSites report={report} onSite={(site) => setFilters({ site })} /> : null}
      <AuditTimeline />
      <AuditDevices
        report={report}
        stateFilter={stateFilter}
        showAll={showAll}
        paging={paging}
        onShowAll={setShowAll}
        onClearState={() => setStateFilter(null)}
        onMore={showMore}
      />
    </>
  );
}

/** The Audit page (`data-testid="audit-page"`). */
export function AuditPage(): ReactElement {
  const report = useAudit((s) => s.report);
  const running = useAudit((s) => s.running);
  const failed = useAudit((s) => s.error !== null);
  const { run } = useAudit.getState();
  const loadSites = useSites((s) => s.load);
  const loadTags = useDevices((s) => s.loadTags);

  useEffect(() => {
    void loadSites();
    void loadTags();
    void run();
  }, [loadSites, loadTags, run]);

  const canExport = report !== null && !failed;
  const openBundles = (): void => useUi.getState().openDialog({ kind: 'bundles', mode: 'export', site: useAudit.getState().filters.site });
  return (
    <div className="page" data-testid="audit-page" aria-busy={running}>
      <div className="page-header">
        <div>
          <h1>Audit</h1>
          <p className="page-subtitle">Which devices run exactly their desired image, from what the inventory knows.</p>
        </div>
        <div className="page-actions">
          <button type="button" className="button" onClick={openBundles} data-testid="audit-bundles" title="Export or import a signed bundle of a site's data and images">
            <PackageIcon /> Bundles…
          </button>
          <AuditExportMenu disabled={!canExport} />
        </div>
      </div>
      <Toolbar />
      <div className={`page-body scroll${running && report ? ' audit-running' : ''}`}>
        <Body />
      </div>
    </div>
  );
}
