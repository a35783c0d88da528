/**
 * The AWS service models botocore ships (its `data/<service>/<version>/service-2.json`), read
 * at run time through botocore's own loader with the python the other tests use: nothing of
 * the models is copied into the repository, and a newer botocore brings its newer model.
 */
import assert from 'node:assert/strict';
import { python } from './python.ts';

export interface ServiceModel {
  metadata: { protocol: string; apiVersion: string };
  operations: Record<string, { errors?: Array<{ shape: string }> }>;
  shapes: Record<string, { exception?: boolean; error?: { code?: string; httpStatusCode?: number } }>;
}

export async function loadServiceModel(service: string): Promise<ServiceModel> {
  const r = await python(
    `
import json, sys, botocore.loaders
print(json.dumps(botocore.loaders.create_loader().load_service_model(sys.argv[1], 'service-2')))
`,
    [service],
  );
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as ServiceModel;
}

/**
 * The errors the model lists for an operation: wire code (the shape's `error.code` where the
 * protocol renames it, as awsQuery does, else the shape name) → HTTP status, if the model gives one.
 */
export function operationErrors(model: ServiceModel, operation: string): Map<string, number | undefined> {
  const op = model.operations[operation];
  assert.ok(op, `the model has no operation ${operation}`);
  const out = new Map<string, number | undefined>();
  for (const { shape } of op.errors ?? []) {
    const s = model.shapes[shape];
    out.set(s?.error?.code ?? shape, s?.error?.httpStatusCode);
  }
  return out;
}
