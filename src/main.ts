/**
 * The composition root: config → store → model → services → gateway. Everything
 * Cairn runs (chat, the bot, the CLI's commands) is built here and nowhere else.
 */
import { join } from 'node:path';
import type { Config } from './config/load.js';
import { openDatabase, databasePath } from './store/db.js';
import { createModelClient } from './model/client.js';
import { RefusedKeys } from './model/refused-keys.js';
import type { CallRecord } from './model/types.js';
import { CairnError, describeError } from './core/errors.js';
import { systemClock } from './core/clock.js';
import { loggerFor } from './core/logger.js';
import { SessionStore } from './memory/sessions.js';
import { moveConversationRecords } from './memory/move-conversation.js';
import { SessionManager } from './memory/session-manager.js';
import { Compressor } from './memory/compression.js';
import { ToolRegistry } from './tools/registry.js';
import { clockTool } from './tools/clock-tool.js';
import { Agent } from './core/agent.js';
import { maxConsecutiveFailedSteps, maxSteps } from './core/stop.js';
import { CommandRegistry } from './core/commands.js';
import { registerBuiltinCommands, registerStopCommand } from './core/builtin-commands.js';
import type { Metering } from './model/metered.js';
import { KeptFiles } from './core/kept-files.js';
import { lookAtImageTool, readAttachmentTool } from './tools/attachment-tools.js';
import { sendFileTool } from './tools/send-file.js';
import { registerExportCommand } from './core/export-command.js';
import { webFetchTool, webSearchTool } from './tools/web-tools.js';
import { documentPool } from './core/documents/pool.js';
import { Gateway } from './core/gateway.js';
import { TurnsInProgress } from './core/turns-in-progress.js';
import { UsageLedger } from './core/usage-ledger.js';
import { DailyAllowance, registerUsageCommand } from './core/allowance.js';
import { TeamBudget } from './core/team-budget.js';
import { Schedules } from './schedules/index.js';
import { registerScheduleCommands, scheduleTools } from './schedules/tools.js';
import { channelOverride } from './config/channels.js';
import { AccessControl } from './access/index.js';
import { platformOf } from './access/identities.js';
import { registerLinkCommands } from './access/commands.js';
import { Skills, registerSkillCommands, registerSkillTools } from './skills/index.js';
import { Learning } from './learning/index.js';
import { createBackendLoader } from './backends/factory.js';
import { EnvironmentRegistry } from './backends/environments.js';
import { ApprovalGate, registerApprovalCommands } from './backends/approvals.js';
import { approvalGateHold } from './backends/tool-approvals.js';
import { systemTimers } from './backends/timers.js';
import { terminalTool, type ExecutionToolOptions } from './tools/terminal.js';
import { readFileTool, writeFileTool } from './tools/files.js';
import { Notes } from './memory/notes/index.js';
import { memorySaveTool, memorySearchTool } from './memory/notes/tools.js';
import { registerMemoryCommands } from './memory/notes/commands.js';
import { forgetNotes } from './memory/forget.js';
import { removeWithdrawn } from './memory/withdrawn-history.js';
import { forgetAuditQuotes } from './learning/forgotten-quotes.js';
import { ConversationModels } from './memory/conversation-models.js';
import { registerModelCommand } from './core/model-command.js';
import { registerStatusCommand } from './core/status-command.js';
import { ModelCatalog } from './model/catalog.js';
import type { Cairn, CairnOverrides } from './cairn-types.js';
import { TimeZones } from './time-zones/index.js';
import { registerTimeZoneCommand, setTimeZoneTool } from './time-zones/commands.js';
import { timeZoneSection } from './time-zones/prefix.js';
import { AccountLanguages } from './languages/index.js';
import { languageSection } from './languages/prompt.js';
import { imageDescriber, notesEmbedder, unconfiguredModel, voiceTranscriber } from './optional-clients.js';
import { unrefSleep } from './open-notes.js';
import { settledWithin } from './core/settled-within.js';

export type { Cairn, CairnOverrides } from './cairn-types.js';
export { openNotes } from './open-notes.js';

export function createCairn(config: Config, overrides: CairnOverrides = {}): Cairn {
  const clock = overrides.clock ?? systemClock;
  const logger = overrides.logger ?? loggerFor(config, 'info');
  const db = overrides.db ?? openDatabase(databasePath(config.dataDir));
  const access = new AccessControl(db, config.platforms);
  // Work that began before its account was linked (a turn, an extraction) writes for whoever the person is when it writes.
  const personOf = (userKey: string) => access.personOf(userKey);
  const ledger = new UsageLedger(db, () => clock.now(), personOf);
  // Each person's time zone (theirs, their Slack profile's, else CAIRN_TZ), by person key.
  const zones = new TimeZones(db, config.agent.timeZone, () => clock.now());
  const languages = new AccountLanguages(db, () => clock.now());
  const { metrics } = overrides;
  // Every model call goes in the ledger, and is counted where metrics are kept: counted first, since
  // the ledger's write fails on a full disk, which is when the failures should show in the metrics.
  // Before the ledger too: a refused key must show in /healthz even when the ledger's write fails.
  const refusedKeys = new RefusedKeys();
  const onCall = (call: CallRecord) => (refusedKeys.record(call), metrics?.modelCall(call), ledger.record(call));
  // Transcription, vision and embeddings calls go in the ledger too: they spend tokens and money like the rest.
  const metering: Metering = { onCall, pricing: config.model.pricing, logger };
  const model =
    overrides.model ??
    (config.providers.length === 0 ? unconfiguredModel(config) : undefined) ??
    createModelClient({
      providers: config.providers,
      proxy: config.proxy,
      timeoutMs: config.model.timeoutMs,
      retry: {
        maxRetries: config.model.maxRetries,
        baseDelayMs: config.model.retryBaseDelayMs,
        maxDelayMs: config.model.retryMaxDelayMs,
        maxRetryAfterMs: config.model.maxRetryAfterMs,
      },
      pricing: config.model.pricing,
      onCall,
      logger,
      now: () => clock.now(),
      ...(overrides.sleep ? { sleep: overrides.sleep } : {}),
    });

  const store = new SessionStore(db);
  const conversationModels = new ConversationModels(db);
  const channelModel = (conversationId: string) => channelOverride(config.channels, conversationId)?.model;
  const sessions = new SessionManager({
    store,
    clock,
    logger,
    idleMs: config.agent.sessionIdleMinutes * 60_000,
    identity: { name: config.agent.name, instructions: config.agent.instructions, timeZone: config.agent.timeZone },
    // A model switched to with /model, else the channel's from the config, else the provider's.
    modelFor: (conversationId) => conversationModels.get(conversationId)?.model ?? channelModel(conversationId),
    instructionsFor: (conversationId) => channelOverride(config.channels, conversationId)?.instructions,
    // Called only by the idle sweep, which starts after createCairn returns, so the gateway below exists.
    turnRunning: (conversationId): boolean => gateway.hasRunningTurn(conversationId),
    zoneOf: (message) => zones.forMessage(message).zone,
    languageOf: (message) => languages.forMessage(message),
  });
  const skills = new Skills({ db, dataDir: config.dataDir, extraDirs: config.skills.dirs, catalogTokens: config.skills.catalogTokens, watchFolders: config.skills.watchFolders, clock, logger, knownSecrets: config.secrets });
  sessions.addPrefixSection(skills.catalog);
  const notes = new Notes({
    db,
    clock,
    logger,
    secrets: config.secrets,
    recallTokens: config.memory.recallTokens,
    embedder: overrides.embedder ?? notesEmbedder(config, logger, metering),
    extraction: { sessions: store, model, auxModel: config.auxModel, personOf, timeZone: config.agent.timeZone, zoneOf: (person) => zones.of(person).zone, contextTokens: config.model.contextTokens },
  });
  // The notes, which can be long, stay the prefix's last section.
  sessions.addPrefixSection(timeZoneSection(zones));
  sessions.addPrefixSection(languageSection());
  sessions.addPrefixSection(notes.recall);
  sessions.onEnded(notes.sessionEnded);
  const compressor = new Compressor({
    store,
    model,
    auxModel: config.auxModel,
    contextTokens: config.model.contextTokens,
    compressAt: config.agent.compressAt,
    keepRecentTurns: config.agent.keepRecentTurns,
    logger,
    isPrivateTool: (name) => tools.isPrivate(name),
    isAdminOnlyTool: (name) => tools.isAdminOnly(name),
  });
  const tools = new ToolRegistry().register(clockTool(config.agent.timeZone)).register(setTimeZoneTool(zones));
  registerSkillTools(tools, skills);
  tools.register(memorySearchTool(notes, personOf, config.agent.timeZone)).register(memorySaveTool(notes, personOf, config.agent.timeZone));
  const timers = overrides.timers ?? systemTimers;
  const environments = new EnvironmentRegistry({
    load: createBackendLoader(config, logger),
    backendFor: (conversationId) => channelOverride(config.channels, conversationId)?.backend ?? config.backends.default,
    hostEnv: config.backendHostEnv,
    env: config.backends.env,
    secrets: config.secrets,
    shared: config.backends.shared,
    idleMs: config.backends.idleMinutes * 60_000,
    timers,
    logger,
  });
  // The conversation says which back end to look on for an environment an earlier (killed) process left.
  sessions.onEnded((session) => void environments.release(session.id, session.conversationId));
  const approvals = new ApprovalGate({
    db,
    clock,
    timers,
    timeoutMs: config.backends.approvalTimeoutSeconds * 1000,
    logger,
    adminChannel: config.learning.adminChannel,
    // Called only while a turn runs, long after the gateway below exists.
    tellAdmins: (conversationId, text, buttons) => gateway.post(conversationId, text, buttons),
  });
  // A tool's call that needs a person's yes (Tool.needsApproval) is asked as held commands are.
  tools.holdWith(approvalGateHold(approvals));
  const execution: ExecutionToolOptions = {
    environments,
    approvals,
    adminOnly: config.backends.adminOnly,
    defaultTimeoutSeconds: config.backends.commandTimeoutSeconds,
    maxOutputChars: config.backends.maxOutputChars,
    maxFileBytes: config.backends.maxFileBytes,
    secrets: config.secrets,
  };
  tools.register(terminalTool(execution)).register(readFileTool(execution)).register(writeFileTool(execution)).register(sendFileTool(execution));
  const agent = new Agent({
    store,
    model,
    tools,
    compressor,
    stopWhen: [maxSteps(config.agent.maxSteps), maxConsecutiveFailedSteps(5)],
    contextTokens: config.model.contextTokens,
    clock,
    logger,
    zoneOf: (message) => zones.forMessage(message),
    languageOf: (message) => languages.forMessage(message),
  });
  const commands = new CommandRegistry();
  registerBuiltinCommands(commands, sessions, config.agent.name);
  registerExportCommand(commands, sessions, clock, config.agent.name);
  // Files past their days go now, all of them when none are kept any more (CAIRN_KEEP_FILES_DAYS=0).
  const pruner = new KeptFiles(db, clock, config.agent.keepFilesDays);
  pruner.prune();
  const keptFiles = config.agent.keepFilesDays > 0 ? pruner : undefined;
  // Linking two accounts makes one person: the notes, scheduled tasks, today's usage, conversations (whose notes are
  // condensed later), kept files and learning tasks (which feedback looks up) of the one that joined move to the shared key;
  // unlinking the key's holder passes them on.
  // The whole team's dollar budget warns the admin channel (the one `learning` below opens) as it nears its end.
  const tellAdminsOfBudget = (text: string): void => {
    if (!learning.adminChannel) return void logger.warn({ warning: text }, "the team's model budget (no CAIRN_ADMIN_CHANNEL to tell)");
    void learning.adminChannel.publish(text).catch((error: unknown) => logger.warn({ err: describeError(error) }, "could not tell the admin channel about the team's model budget"));
  };
  const teamBudget = new TeamBudget(ledger, clock, { dailyUsd: config.agent.dailyBudgetUsd, monthlyUsd: config.agent.monthlyBudgetUsd }, tellAdminsOfBudget);
  const allowance = new DailyAllowance(ledger, clock, config.agent.userDailyTokens, teamBudget.isSet ? teamBudget : undefined);
  registerLinkCommands(
    commands,
    access.links,
    clock,
    (previous, person) => {
      notes.store.moveOwner(previous, person);
      schedules.store.reassign(previous, person);
      zones.reassign(previous, person);
      ledger.reassign(previous, person);
      sessions.store.reassign(previous, person);
      keptFiles?.reassign(previous, person);
      // Called only by /link and /unlink, long after `learning` below exists.
      learning.recorder.reassign(previous, person);
    },
    // Linking then unlinking must not give an account a fresh day's allowance. Its conversations (those on its
    // platform) end, since their prompt holds the person's notes, and their history and files go back to it.
    (account, person) => {
      allowance.carryOver(person, account);
      // Each task names the account that set it, so it goes back whatever else the person keeps on that platform.
      schedules.store.returnToAccount(person, account);
      zones.copyTo(person, account);
      const platform = platformOf(account);
      const ended = sessions.endSessionsOf(person, 'unlinked', platform);
      // Unless the person keeps another account there: who sent what there cannot be told apart, so it stays with them.
      if (access.links.identitiesOf(person).some((other) => platformOf(other) === platform)) return ended;
      sessions.store.reassignOnPlatform(person, account, platform);
      keptFiles?.reassignOnPlatform(person, account, platform);
      learning.recorder.reassign(person, account, platform);
      return ended;
    },
  );
  registerSkillCommands(commands, skills);
  registerMemoryCommands(
    commands,
    notes,
    forgetNotes({
      notes: notes.store,
      sessions: store,
      clock,
      forgetFiles: keptFiles ? (userId) => keptFiles.forgetUser(userId) : undefined,
      endSessions: (userId) => sessions.endSessionsOf(userId, 'forgotten'),
      auditsDir: join(config.dataDir, 'audits'),
    }),
    (person) => zones.of(person).zone,
  );
  registerApprovalCommands(commands, approvals);
  // A task that stopped on its own (its owner's account gone, its answers refused) is said in the admin channel.
  const tellAdmins = (text: string): void => void learning.adminChannel?.publish(text).catch((error: unknown) => logger.warn({ err: describeError(error) }, 'could not tell the admin channel about a scheduled task'));
  const schedules = new Schedules({ db, clock, timers, logger, defaultTimeZone: config.agent.timeZone, tellAdmins });
  for (const tool of scheduleTools(schedules, (platform) => gateway.platforms().includes(platform))) tools.register(tool);
  registerScheduleCommands(commands, schedules);
  // Tasks already set keep the zone they were set in: /timezone says so.
  registerTimeZoneCommand(commands, zones, () => clock.now(), (person) => schedules.store.activeOf(person).map((task) => task.timeZone));
  const describer = overrides.describer ?? imageDescriber(config, metering);
  if (config.web.fetch) tools.register(webFetchTool({ ...config.web, proxy: config.proxy }, documentPool, config.secrets));
  const { provider, ...engine } = config.web.search;
  if (provider) tools.register(webSearchTool({ provider, ...engine, proxy: config.proxy }, config.web.timeoutMs, config.secrets));
  if (keptFiles) {
    tools.register(readAttachmentTool(keptFiles));
    if (describer) tools.register(lookAtImageTool(keptFiles, describer));
  }
  const turnsInProgress = new TurnsInProgress(db, clock, logger);
  const gateway = new Gateway({
    db,
    sessions,
    agent,
    commands,
    clock,
    logger,
    maxInputChars: config.agent.maxInputChars,
    maxTurnsAtOnce: config.agent.maxTurnsAtOnce,
    access,
    transcriber: overrides.transcriber ?? voiceTranscriber(config, metering),
    describer,
    keptFiles,
    allowance,
    metrics,
    turnsInProgress,
    // A deleted message leaves the history, its tasks' words and audit quotes, and the answers remembered for feedback.
    forgetWithdrawn: (deleted) => {
      forgetAuditQuotes(db, removeWithdrawn(db, deleted, logger).requests, join(config.dataDir, 'audits'));
      learning.recorder.forgetAnswersTo(deleted.platform, deleted.messageId);
    },
  });
  if (metrics) {
    // A name the model made up is counted as "unknown": every invented name would be a series of its own.
    agent.onTurnFinished((_input, result) => {
      const known = new Set(tools.names());
      for (const call of result.toolCalls) metrics.toolCall(known.has(call.name) ? call : { ...call, name: 'unknown' });
    });
  }
  // Who set tasks paused because they left (the server, the group) writes there again: those tasks go on.
  agent.onTurnFinished((input) => schedules.ownerBack(input.message));
  registerUsageCommand(commands, allowance, (userKey) => access.links.identitiesOf(userKey).length > 1);
  const primary = config.providers[0];
  const catalog = primary ? new ModelCatalog(primary) : undefined;
  registerModelCommand(commands, {
    models: conversationModels,
    sessions: store,
    clock,
    channelModel,
    providerModel: primary?.model ?? 'no model (none is configured)',
    available: () => (catalog ? catalog.names() : Promise.reject(new CairnError('config', 'no model provider is configured'))),
  });
  registerStopCommand(commands, gateway);

  const learning = new Learning({
    db,
    config: config.learning,
    dataDir: config.dataDir,
    model,
    auxModel: config.auxModel,
    skills,
    agent,
    commands,
    clock,
    logger,
    post: (conversationId, text, buttons) => gateway.post(conversationId, text, buttons),
    // `cairn chat` and the CLI have no adapter for the admin channel: their posts wait for `cairn start`.
    canPost: (conversationId) => gateway.platforms().includes(conversationId.split(':')[0] ?? ''),
    timers,
    cronPort: overrides.cronPort,
    personOf,
    teamBudgetSpent: () => teamBudget.isSet && teamBudget.spent(),
  });
  registerStatusCommand(commands, {
    clock,
    startedAt: clock.now(),
    model: primary?.model ?? 'no model',
    platforms: () => gateway.platformStates(),
    runningTurns: () => gateway.runningTurns(),
    turnsWaitingForRoom: () => ({ waiting: gateway.slots.waiting, limit: gateway.slots.limit }),
    pendingApprovals: () => approvals.pending().length,
    pendingProposals: () => learning.proposals.pending().length,
    timeZones: () => ({ defaultZone: zones.defaultZone, own: zones.countOwn() }),
  });

  const moveConversation = (from: string, to: string): void => {
    schedules.moveConversation(from, to);
    const moved = moveConversationRecords(db, from, to);
    learning.recorder.moveConversation(from, to);
    logger.info({ from, to, ...moved }, 'the conversation, its /model choice and its files moved with it');
  };

  let closed: Promise<void> | undefined;
  const close = (beforeDatabaseCloses?: () => void) =>
    (closed ??= (async () => {
      try {
        schedules.stop();
        const grace = config.agent.shutdownGraceMs;
        await gateway.drain(grace);
        // No turn reads files now: the document readers waiting idle end (the pool starts new ones if needed).
        documentPool.close();
        // What goes on after the turns shares one more grace, side by side: reflections and audits, environment
        // stops, and note extraction (one cut short stays pending for the next start). Reflections and audits were
        // waited for without limit: with a slow or unreachable model (often why Cairn is restarted) the stop outlasted
        // the service manager's timeout (Docker's and Kubernetes' 30 s), whose SIGKILL left the lease held.
        const learned = settledWithin(learning.stop(), grace, unrefSleep).then((settled) => {
          if (!settled) logger.warn({ graceMs: grace }, 'reflections or audits still running at shutdown were cut short');
        });
        const closing = await Promise.allSettled([learned, environments.stopAll(), notes.close(grace, unrefSleep)]);
        // Every one of them has ended (or had its grace) before the database closes; the first failure is the stop's.
        const failed = closing.find((result): result is PromiseRejectedResult => result.status === 'rejected');
        if (failed) throw failed.reason;
      } finally {
        // The last word on the database (the instance lease's release) comes after every write.
        try {
          beforeDatabaseCloses?.();
        } finally {
          if (db.open) db.close();
        }
      }
    })());

  return { config, db, logger, clock, model, modelHealth: () => refusedKeys.health(), ledger, sessions, tools, commands, agent, gateway, turnsInProgress, access, skills, learning, environments, approvals, notes, schedules, moveConversation, close };
}
