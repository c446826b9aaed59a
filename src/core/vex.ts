/**
 * VEX (Vulnerability Exploitability eXchange): statements by a person or a supplier about whether a
 * vulnerability affects a product. PatchPilot reads OpenVEX 0.2.0 and CycloneDX VEX and normalises
 * both to `VexStatement`; it writes OpenVEX.
 */

/** The four VEX status labels (OpenVEX's spelling; CycloneDX analysis states map onto them). */
export type VexStatus = 'not_affected' | 'affected' | 'fixed' | 'under_investigation';

export const vexStatuses: readonly VexStatus[] = ['not_affected', 'affected', 'fixed', 'under_investigation'];

/** The five machine-readable justifications of a `not_affected` statement (CISA's catalog, OpenVEX). */
export type VexJustification =
  | 'component_not_present'
  | 'vulnerable_code_not_present'
  | 'vulnerable_code_not_in_execute_path'
  | 'vulnerable_code_cannot_be_controlled_by_adversary'
  | 'inline_mitigations_already_exist';

export const vexJustifications: readonly VexJustification[] = [
  'component_not_present',
  'vulnerable_code_not_present',
  'vulnerable_code_not_in_execute_path',
  'vulnerable_code_cannot_be_controlled_by_adversary',
  'inline_mitigations_already_exist',
];

export const isVexJustification = (value: string | undefined): value is VexJustification =>
  value !== undefined && (vexJustifications as readonly string[]).includes(value);

export const isVexStatus = (value: string | undefined): value is VexStatus =>
  value !== undefined && (vexStatuses as readonly string[]).includes(value);

/** What a statement is about: a package URL, and the packages inside it the vulnerability lives in. */
export interface VexProduct {
  /** The product's purl (`@id` or `identifiers.purl`); undefined when it has no purl. */
  readonly purl: string | undefined;
  /** Purls of the product's subcomponents: the packages in it that carry the vulnerability. */
  readonly subcomponents: readonly string[];
}

export type VexFormat = 'openvex' | 'cyclonedx';

/** One statement, normalised from OpenVEX or CycloneDX. */
export interface VexStatement {
  /** The vulnerability's main id (OpenVEX `vulnerability.name`, CycloneDX `id`). */
  readonly vulnerability: string;
  /** Other ids of the same vulnerability (OpenVEX `aliases` and the last segment of `@id`, CycloneDX `references[].id`). */
  readonly aliases: readonly string[];
  readonly products: readonly VexProduct[];
  readonly status: VexStatus;
  /**
   * One of the five `VexJustification` values; a CycloneDX `analysis.justification` that has no
   * OpenVEX counterpart is kept as written (`requires_configuration`, `protected_at_perimeter`…).
   */
  readonly justification: string | undefined;
  /** Why the product is not affected, in prose (OpenVEX `impact_statement`, CycloneDX `analysis.detail`). */
  readonly impactStatement: string | undefined;
  /** What to do when affected (OpenVEX `action_statement`, CycloneDX `analysis.response` and `detail`). */
  readonly actionStatement: string | undefined;
  /** OpenVEX `status_notes`: how the status was decided. */
  readonly notes: string | undefined;
  /** Who made the statement (the document's author); undefined when the document names nobody. */
  readonly author: string | undefined;
  /** When the statement was known to be true (ISO 8601): its own, else its document's. */
  readonly timestamp: string | undefined;
  /** The document it was read from, as shown to the user. */
  readonly source: string;
}

/** A VEX document as read: where it came from, its format and its statements. */
export interface VexDocument {
  readonly path: string;
  readonly format: VexFormat;
  readonly author: string | undefined;
  readonly statements: readonly VexStatement[];
}

/** Where a project keeps its own statements (`patchpilot vex add` writes there; `scan` reads it). */
export const projectVexFile = '.patchpilot/vex.json';

/**
 * OpenVEX names one author per document. PatchPilot also records who made each statement in its
 * `status_notes`, as `recorded by NAME` or `REASON (recorded by NAME)`, and shows that author for
 * the statement; documents from elsewhere simply lack it.
 */
export const withRecordedBy = (notes: string | undefined, author: string): string =>
  notes ? `${notes} (recorded by ${author})` : `recorded by ${author}`;

export const splitRecordedBy = (
  notes: string | undefined,
): { readonly notes: string | undefined; readonly author: string | undefined } => {
  if (notes === undefined) return { notes, author: undefined };
  const alone = /^recorded by ([^()]+)$/.exec(notes);
  if (alone) return { notes: undefined, author: (alone[1] as string).trim() };
  const after = /^([\s\S]+) \(recorded by ([^()]+)\)$/.exec(notes);
  if (after) return { notes: after[1] as string, author: (after[2] as string).trim() };
  return { notes, author: undefined };
};
