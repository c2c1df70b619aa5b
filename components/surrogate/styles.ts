/**
 * The styles of `<glass-surrogate>` beyond the base element's: the fidelity panel, the template
 * grid (labels, cursor, bars) and the rule tree. Rendered as a `<style>` in the shadow root, in
 * the element's template.
 *
 * @module
 */

import { html, type TemplateResult } from 'lit';
import { GAP, LABEL_H } from './templates.ts';

/** The element's `<style>` (before its content, as the first child of the shadow root). */
export function surrogateStyles(): TemplateResult {
  return html`
    <style>
      [part~='fidelity'] {
        display: flex;
        flex-wrap: wrap;
        gap: 4px 18px;
        margin: 0 0 8px;
        font-variant-numeric: tabular-nums;
      }
      [part~='fidelity'] dt {
        color: var(--_muted);
        font-size: 11px;
      }
      [part~='fidelity'] dd {
        margin: 0;
        font-weight: 600;
      }
      .stage {
        position: relative;
        outline: none;
      }
      .stage:focus-visible,
      [part~='tree']:focus-visible {
        outline: 2px solid var(--_accent);
      }
      [part~='label'] {
        position: absolute;
        height: ${LABEL_H}px;
        overflow: hidden;
        text-overflow: ellipsis;
        white-space: nowrap;
        font-weight: 600;
        font-size: 12px;
      }
      [part~='label'] small {
        font-weight: 400;
        color: var(--_muted);
      }
      [part~='cursor'] {
        position: absolute;
        pointer-events: none;
        box-sizing: border-box;
        border: 2px solid var(--_accent);
      }
      .bars-grid {
        display: grid;
        gap: ${GAP}px;
      }
      [part~='tile'] {
        box-sizing: border-box;
        border: 1px solid transparent;
        min-width: 0;
      }
      [part~='tile'][part~='active'] {
        border-color: var(--_accent);
      }
      .tile-label {
        font-weight: 600;
        font-size: 12px;
        overflow: hidden;
        text-overflow: ellipsis;
        white-space: nowrap;
      }
      [part~='bars'] {
        display: block;
        width: 100%;
        font-size: 10px;
      }
      [part~='bars'] text {
        fill: var(--_fg);
      }
      .zero {
        stroke: var(--_muted);
      }
      [part~='tree'] {
        margin: 0;
        padding: 0;
        outline: none;
        font-variant-numeric: tabular-nums;
      }
      [part~='tree'] ul {
        margin: 0;
        padding: 0;
      }
      [part~='tree'] li {
        list-style: none;
      }
      [part~='node'] {
        display: flex;
        align-items: baseline;
        gap: 6px;
        padding: 1px 4px;
        border-radius: 2px;
        cursor: pointer;
        white-space: nowrap;
      }
      [part~='node'][part~='path'] {
        background: var(--glass-path-bg, color-mix(in srgb, var(--_accent) 20%, transparent));
      }
      [part~='node'][part~='active'] {
        outline: 1px solid var(--_accent);
      }
      [part~='toggle'] {
        all: unset;
        width: 1em;
        text-align: center;
        color: var(--_muted);
        cursor: pointer;
      }
      .leaf-class {
        font-weight: 600;
      }
      .n {
        color: var(--_muted);
        font-size: 11px;
      }
    </style>
  `;
}
