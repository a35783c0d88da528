#!/usr/bin/env node
// The idcenter command: runs the bundle built by `npm install` (scripts/build.mjs).
import { main } from '../dist/idcenter.mjs';

await main(process.argv);
