#!/usr/bin/env node
// Validates recorded HTTP responses against docs/openapi.yaml (issue 7).
//
// Usage: node validate-responses.mjs SPEC.yaml RECORDING.jsonl [RECORDING.jsonl …]
//
// A recording holds one JSON object per line, {method, target, status, headers: [[name, value]…],
// body | bodyBase64}, written by the test suites when OXM_RECORD_RESPONSES is set
// (tests/testsupport.cpp). Each response is matched to its operation by method and path template
// (a concrete segment wins over a template, as in the server's router and OpenAPI §4.8.8; HEAD is
// GET without a body) and must have a documented status, the documented required headers (values
// matching their schemas), the documented media type with `charset=utf-8`, and a body that
// validates against the documented schema (JSON Schema 2020-12, ajv). Responses that belong to
// no operation (unknown path, method not allowed, refused at the front door) are checked against
// the spec's `x-oxm-routing-responses`. Exits 1 listing every mismatch.

import { readFileSync } from 'node:fs';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import YAML from 'yaml';

const [specPath, ...recordings] = process.argv.slice(2);
if (!specPath || recordings.length === 0) {
  console.error('usage: validate-responses.mjs SPEC.yaml RECORDING.jsonl [RECORDING.jsonl …]');
  process.exit(2);
}

const spec = YAML.parse(readFileSync(specPath, 'utf8'));
const SPEC_ID = 'https://oxm.invalid/openapi.json';

// JSON Schema validation of fragments of the spec; their "#/components/…" references resolve
// inside the spec, which is registered whole under SPEC_ID.
const ajv = new Ajv2020({ allErrors: true, strict: true, strictTypes: false, validateSchema: false });
addFormats(ajv);
// The document's top-level OpenAPI fields are not JSON Schema keywords; ajv compiles the root
// when resolving a reference into it, so they are declared as (annotation) keywords. Strict mode
// still rejects unknown keywords inside the schemas themselves.
ajv.addVocabulary(Object.keys(spec));
ajv.addSchema(spec, SPEC_ID);
const validators = new Map();
function validatorFor(pointer) {
  if (!validators.has(pointer)) validators.set(pointer, ajv.compile({ $ref: `${SPEC_ID}#${pointer}` }));
  return validators.get(pointer);
}

const escapePointer = (s) => s.replace(/~/g, '~0').replace(/\//g, '~1');
function resolve(pointer) {
  let node = spec;
  for (const part of pointer.split('/').slice(1)) {
    node = node?.[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  if (node === undefined) throw new Error(`unresolved reference #${pointer}`);
  return node;
}
/// Follows $ref (responses, headers) to the object and its JSON pointer.
function deref(object, pointer) {
  while (object && typeof object.$ref === 'string') {
    pointer = object.$ref.replace(/^#/, '');
    object = resolve(pointer);
  }
  return { object, pointer };
}

// Path templates, most literal segments first.
const templates = Object.keys(spec.paths).map((path) => {
  const segments = path.split('/');
  const literals = segments.filter((s) => !/^\{[^}]+\}$/.test(s)).length;
  const regex = new RegExp(
    '^' + segments.map((s) => (/^\{[^}]+\}$/.test(s) ? '[^/]*' : s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('/') + '$');
  return { path, regex, literals, segmentCount: segments.length };
}).sort((a, b) => b.literals - a.literals);

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
const routing = spec['x-oxm-routing-responses'];
if (!routing?.unknownPath || !routing?.methodNotAllowed || !routing?.frontDoor) {
  console.error(`${specPath}: x-oxm-routing-responses needs unknownPath, methodNotAllowed and frontDoor`);
  process.exit(2);
}
const routingPointer = '/x-oxm-routing-responses';

/// The documented responses for a request: {label, responses: {status: {object, pointer}}}.
function documentedResponses(method, target) {
  const frontDoor = {};
  for (const [status, response] of Object.entries(routing.frontDoor)) {
    frontDoor[status] = deref(response, `${routingPointer}/frontDoor/${status}`);
  }
  const path = target.split('?')[0];
  const template = method && path.startsWith('/') ? templates.find((t) => t.regex.test(path)) : undefined;
  if (!template) {
    return {
      label: `(no path) ${method || '-'} ${target}`,
      responses: { ...frontDoor, 404: deref(routing.unknownPath, `${routingPointer}/unknownPath`) },
    };
  }
  const item = spec.paths[template.path];
  // Methods are case-sensitive (RFC 9110 §9.1): "get" is no GET.
  const key = method === 'HEAD' ? 'get' : method === method.toUpperCase() ? method.toLowerCase() : '';
  if (!METHODS.includes(key) || !item[key]) {
    return {
      label: `(405) ${method} ${template.path}`,
      responses: { ...frontDoor, 405: deref(routing.methodNotAllowed, `${routingPointer}/methodNotAllowed`) },
    };
  }
  const operationPointer = `/paths/${escapePointer(template.path)}/${key}`;
  const responses = {};
  for (const [status, response] of Object.entries(item[key].responses)) {
    responses[status] = deref(response, `${operationPointer}/responses/${status}`);
  }
  return { label: `${method} ${template.path}`, responses };
}

function lookupStatus(responses, status) {
  const s = String(status);
  return responses[s] ?? responses[`${s[0]}XX`] ?? responses.default;
}

const problems = new Map(); // message → {count, example}
const exercised = new Map(); // label → Set of statuses
let validated = 0;
let total = 0;

function problem(label, status, message, record) {
  const key = `${label} → ${status}: ${message}`;
  const entry = problems.get(key) ?? { count: 0, example: record };
  entry.count += 1;
  problems.set(key, entry);
}

for (const file of recordings) {
  const lines = readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '');
  for (const line of lines) {
    total += 1;
    const record = JSON.parse(line);
    const { method, target, status } = record;
    const headers = new Map();
    for (const [name, value] of record.headers) headers.set(name.toLowerCase(), value);
    const { label, responses } = documentedResponses(method, target);
    if (!exercised.has(label)) exercised.set(label, new Set());
    exercised.get(label).add(status);

    const documented = lookupStatus(responses, status);
    if (!documented) {
      problem(label, status, `status not documented (documented: ${Object.keys(responses).join(', ')})`, record);
      continue;
    }
    const { object: response, pointer } = documented;
    let ok = true;

    for (const [name, header] of Object.entries(response.headers ?? {})) {
      const { object: h, pointer: hPointer } = deref(header, `${pointer}/headers/${escapePointer(name)}`);
      const value = headers.get(name.toLowerCase());
      if (value === undefined) {
        if (h.required) {
          problem(label, status, `required header ${name} missing`, record);
          ok = false;
        }
        continue;
      }
      if (h.schema) {
        const validate = validatorFor(`${hPointer}/schema`);
        if (!validate(value)) {
          problem(label, status, `header ${name}: ${JSON.stringify(value)} ${ajv.errorsText(validate.errors)}`, record);
          ok = false;
        }
      }
    }

    const body = record.body ?? (record.bodyBase64 !== undefined ? Buffer.from(record.bodyBase64, 'base64').toString('latin1') : '');
    const contentType = headers.get('content-type');
    if (!response.content) {
      if (body !== '' || contentType !== undefined) {
        problem(label, status, `documented without a body, got Content-Type ${contentType} and ${body.length} bytes`, record);
        ok = false;
      }
    } else {
      // A documented media type with parameters must be sent exactly so; plain JSON must carry
      // the contract's charset.
      const normalise = (t) => t.split(';').map((p) => p.trim().toLowerCase()).join('; ');
      const baseType = (t) => t.split(';')[0].trim().toLowerCase();
      const mediaType = contentType && Object.keys(response.content).find((key) => baseType(key) === baseType(contentType));
      const media = mediaType && response.content[mediaType];
      const expected = mediaType && (mediaType.includes(';') ? normalise(mediaType)
        : mediaType === 'application/json' ? 'application/json; charset=utf-8' : undefined);
      if (!media) {
        problem(label, status, `Content-Type ${contentType} not documented (${Object.keys(response.content).join(', ')})`, record);
        ok = false;
      } else if (expected && normalise(contentType) !== expected) {
        problem(label, status, `Content-Type ${contentType}, documented: ${expected}`, record);
        ok = false;
      } else if (method === 'HEAD') {
        if (body !== '') {
          problem(label, status, 'HEAD response with a body', record);
          ok = false;
        }
      } else if (record.bodyBase64 !== undefined) {
        problem(label, status, 'body is not UTF-8', record);
        ok = false;
      } else if (media.schema && baseType(mediaType) !== 'application/json') {
        const validate = validatorFor(`${pointer}/content/${escapePointer(mediaType)}/schema`);
        if (!validate(body)) {
          problem(label, status, `body: ${ajv.errorsText(validate.errors)}`, record);
          ok = false;
        }
      } else if (media.schema) {
        let parsed;
        try {
          parsed = JSON.parse(body);
        } catch (error) {
          problem(label, status, `body is not JSON (${error.message})`, record);
          ok = false;
        }
        if (ok) {
          const validate = validatorFor(`${pointer}/content/${escapePointer(mediaType)}/schema`);
          if (!validate(parsed)) {
            problem(label, status, `body: ${ajv.errorsText(validate.errors)}`, record);
            ok = false;
          }
        }
      }
    }
    if (ok) validated += 1;
  }
}

console.log(`openapi-validate: ${validated} of ${total} recorded responses validate against ${specPath}`);
const summary = [...exercised.entries()].sort(([a], [b]) => a.localeCompare(b));
for (const [label, statuses] of summary) {
  console.log(`  ${label}: ${[...statuses].sort().join(' ')}`);
}
if (problems.size > 0) {
  console.log(`\n${problems.size} kinds of mismatch:`);
  for (const [message, { count, example }] of problems) {
    const shown = { ...example, body: (example.body ?? '').slice(0, 400) };
    console.log(`- ${message} (×${count})\n    e.g. ${JSON.stringify(shown)}`);
  }
  process.exit(1);
}
if (total === 0) {
  console.log('nothing was recorded');
  process.exit(1);
}
