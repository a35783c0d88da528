/**
 * The web pages' plugin: what the browser-facing areas share, registered once in their own
 * scope so nothing of it reaches the AWS protocols. Cookies are read and written through
 * @fastify/cookie (`cookies.ts` says which names and flags); form bodies are decoded strictly
 * (`request-text.ts`); any other body stays bytes (the one JSON route reads its own,
 * `portal/credentials.ts`). Below it, the sign-in area, the access portal and the admin console each
 * have a scope of their own with their own error handler.
 */
import fastifyCookie from '@fastify/cookie';
import type { FastifyInstance } from 'fastify';
import type { ServerDeps } from '../app/server-deps.ts';
import { rawBodies } from '../protocol/raw-body.ts';
import { registerAdmin } from './admin/routes.ts';
import { registerPortal } from './portal/routes.ts';
import { parseForms } from './request-text.ts';
import { registerSignin } from './signin/routes.ts';

export async function registerWeb(app: FastifyInstance, deps: ServerDeps): Promise<void> {
  rawBodies(app);
  parseForms(app);
  await app.register(fastifyCookie);
  await app.register(async (scope) => registerSignin(scope, deps));
  await app.register(async (scope) => registerPortal(scope, deps));
  await app.register(async (scope) => registerAdmin(scope, deps));
}
