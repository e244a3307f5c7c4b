/**
 * What every command and session step receives: the system (every side
 * effect) and the logger.
 *
 * @module
 */

import type { Logger } from "../log/logger.ts";
import type { System } from "../system/system.ts";

/** The context of one command run. */
export interface CommandContext {
  readonly system: System;
  readonly logger: Logger;
}
