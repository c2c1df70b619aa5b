/**
 * Export buttons for an explorer view: PNG, SVG and Data (the element's numbers as `.npy` / JSON,
 * see components/shared/export.ts), each downloaded through an `<a download>` with an object URL.
 *
 * @module
 */

import {
  EXPORTABLE_DATA,
  exportData,
  type ExportFile,
  exportImage,
} from '../../components/shared/export.ts';

/** Detail of the `explorer-export` event fired on the buttons' host before each download. */
export interface ExportDetail extends ExportFile {
  /** `png`, `svg` or `data`. */
  kind: 'png' | 'svg' | 'data';
}

/** A file name without characters that file systems refuse. */
export function fileStem(name: string): string {
  return name.trim().replace(/[^\w.-]+/g, '_').replace(/^_+|_+$/g, '') || 'view';
}

/** Downloads `blob` as `name` (an `<a download>` click; the URL is revoked a minute later). */
export function download(name: string, blob: Blob, parent: HTMLElement = document.body): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.hidden = true;
  parent.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** The buttons' handles. */
export interface ExportButtons {
  /** The button row (`.export`). */
  readonly element: HTMLElement;
  /** Exports as the button does: resolves with what was downloaded. */
  run(kind: 'png' | 'svg' | 'data'): Promise<ExportFile[]>;
  /** Removes the buttons. */
  destroy(): void;
}

/**
 * Adds PNG / SVG / Data buttons to `host` that export `target` (a `glass-*` element) as files
 * named `<name>.png`, `<name>.svg`, `<name>_<file>` for the data. The Data button shows only for
 * elements with known data. Fires `explorer-export` ({@linkcode ExportDetail}) on `host` before
 * each download; failures show in the row's status text.
 */
export function mountExportButtons(
  host: HTMLElement,
  target: HTMLElement,
  name: string,
): ExportButtons {
  const row = document.createElement('div');
  row.className = 'export';
  row.setAttribute('role', 'group');
  row.setAttribute('aria-label', `Export ${name}`);
  const status = document.createElement('span');
  status.className = 'export-status';
  status.setAttribute('role', 'status');
  const stem = fileStem(name);
  const run = async (kind: 'png' | 'svg' | 'data'): Promise<ExportFile[]> => {
    status.textContent = '';
    try {
      const files = kind === 'data'
        ? (await exportData(target)).map((f) => ({ ...f, name: `${stem}_${f.name}` }))
        : [{ name: `${stem}.${kind}`, blob: await exportImage(target, kind) }];
      if (files.length === 0) status.textContent = 'Nothing to export yet.';
      for (const f of files) {
        host.dispatchEvent(
          new CustomEvent<ExportDetail>('explorer-export', { detail: { ...f, kind } }),
        );
        download(f.name, f.blob, row);
      }
      return files;
    } catch (e) {
      status.textContent = `Export failed: ${(e as Error).message ?? e}`;
      throw e;
    }
  };
  const kinds: ('png' | 'svg' | 'data')[] = ['png', 'svg'];
  if (EXPORTABLE_DATA.includes(target.tagName.toLowerCase())) kinds.push('data');
  for (const kind of kinds) {
    const b = document.createElement('button');
    b.type = 'button';
    b.dataset.kind = kind;
    b.textContent = kind === 'data' ? 'Data' : kind.toUpperCase();
    b.title = kind === 'data'
      ? `Download the numbers of ${name} (.npy / JSON)`
      : `Download ${name} as ${kind.toUpperCase()}`;
    b.addEventListener('click', () => void run(kind).catch(() => {}));
    row.append(b);
  }
  row.append(status);
  host.append(row);
  return { element: row, run, destroy: () => row.remove() };
}

/** `target` in a wrapper with its export buttons under it (see {@linkcode mountExportButtons}). */
export function exportable(target: HTMLElement, name: string): HTMLDivElement {
  const box = document.createElement('div');
  box.className = 'exportable';
  box.append(target);
  mountExportButtons(box, target, name);
  return box;
}
