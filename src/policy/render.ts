/** The two renderings of a verdict: sentences for a terminal, and the JSON of SPEC §3.2. */
import type { RequirementVerdict, SignatureSource, SignatureVerdict, Verdict } from './verdict.types.js';

function sentence(s: string): string {
  return /[.!?]$/.test(s) ? s : `${s}.`;
}

function scopeText(scope: string): string {
  if (scope === '') return 'the transport default ""';
  if (scope === 'default') return 'the global "default"';
  return `scope ${JSON.stringify(scope)}`;
}

const sourceNames: Readonly<Record<SignatureSource, string>> = {
  dir: 'the image directory',
  lookaside: 'lookaside storage',
  extension: "the registry's signature API",
  'sigstore-attachment': 'a cosign .sig attachment',
  referrer: 'an OCI referrer',
};

function signatureLine(s: SignatureVerdict): string {
  const signer = s.signer !== undefined ? `, signer ${s.signer}` : '';
  const what = s.status === 'not-applicable' ? 'not applicable' : s.status;
  const code = s.code !== undefined ? ` (${s.code})` : '';
  return `  Signature ${s.index} (${s.format}, from ${sourceNames[s.source]}${signer}): ${what}${code}: ${sentence(s.message)}`;
}

function requirementLines(r: RequirementVerdict, i: number, total: number): string[] {
  const state = r.satisfied ? 'satisfied' : `not satisfied${r.code !== undefined ? ` (${r.code})` : ''}`;
  const lines = [`Requirement ${i + 1} of ${total}, ${r.type}: ${r.summary} — ${state}.`];
  if (r.type === 'insecureAcceptAnything' || r.type === 'signedBaseLayer') {
    lines.push('  Signatures are not looked at.');
  } else if (r.signatures.length === 0) {
    lines.push('  No signatures were found.');
  } else {
    for (const s of r.signatures) lines.push(signatureLine(s));
    if (r.code === 'NO_SIGNATURES') lines.push('  None of these is a signature this requirement considers.');
  }
  return lines;
}

/** The verdict in sentences: the decision, the policy scope, each requirement and signature, the next step. */
export function renderVerdictText(verdict: Verdict): string {
  const lines = [
    `${verdict.image} is ${verdict.allowed ? 'allowed' : 'rejected'} by the policy.`,
    `Identity ${verdict.identity}, manifest ${verdict.manifestDigest}.`,
    `Policy ${verdict.policy.file}, transport ${JSON.stringify(verdict.policy.transport)}, ${scopeText(verdict.policy.scope)} applied.`,
  ];
  verdict.requirements.forEach((r, i) => lines.push(...requirementLines(r, i, verdict.requirements.length)));
  if (verdict.nextStep !== undefined) lines.push(`Next step: ${sentence(verdict.nextStep)}`);
  return `${lines.join('\n')}\n`;
}

/** The verdict as JSON (SPEC §3.2), two-space indented, with a trailing newline. */
export function renderVerdictJson(verdict: Verdict): string {
  return `${JSON.stringify(verdict, null, 2)}\n`;
}
