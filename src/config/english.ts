/**
 * zod's English messages, for the modules whose problems a person reads (the configuration, the
 * assertion signing keys, the Cognito trigger's settings). Imported for this side effect only by those
 * modules, so a cold start whose configuration is already validated never loads them (the request
 * path never shows a zod message: src/config/startup.ts).
 */
import * as z from "zod/mini";
import { en } from "zod/locales";

z.config(en());
