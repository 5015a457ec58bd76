/**
 * The audit report's words as the CLI and the report files say them (shared/contract/audit-files.ts):
 * the scope, the header lines, the stale threshold and the file names. The files themselves are
 * made by the core (`audit.export`), byte for byte as `bootfleet audit --format ...` writes them.
 */
export { auditHeader as header, auditScopeText as scopeText, auditStaleText as staleText, auditFileName } from '../../../shared/contract';
