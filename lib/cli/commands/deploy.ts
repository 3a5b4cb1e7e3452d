/**
 * `pipeline deploy` and `pipeline destroy`: the pipeline stack on AWS (`cdk`) or LocalStack
 * (`cdklocal`), after checks that fail in seconds with the next step instead of minutes into a
 * deployment. `npm run deploy`, `npm run destroy` and `npm run deploy:localstack` call these.
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import { relative } from 'node:path';
import { CliError, EXIT, type ExitCode } from '../cli-error.ts';
import type { Command, CommandArgs, CommandIo } from '../command.ts';
import { type AwsIdentity, resolveAwsIdentity } from '../deploy/aws-identity.ts';
import { bootstrapArgs, deployArgs, destroyArgs } from '../deploy/cdk-args.ts';
import { explainCdkFailure } from '../deploy/cdk-failure.ts';
import { awsCdkEnv, type CdkRunner, type CdkTool, runCdk } from '../deploy/cdk-process.ts';
import { type DeployOptions, parseDeployOptions } from '../deploy/deploy-options.ts';
import { localStackCdkEnv, verifyLocalStack } from '../deploy/localstack-guard.ts';

/** What the commands depend on, replaceable in tests (no cdk deployment can run there). */
export interface DeployDependencies {
  /** Runs cdk or cdklocal. */
  readonly runCdk: CdkRunner;
  /** Resolves the AWS account and region of the standard credential chain. */
  readonly resolveAwsIdentity: () => Promise<AwsIdentity>;
  /** This process's environment, the base of cdk's. */
  readonly env: NodeJS.ProcessEnv;
  /** `true` when a person can answer cdk's approval prompt. */
  readonly interactive: boolean;
}

const DEFAULT_DEPENDENCIES: DeployDependencies = {
  runCdk,
  resolveAwsIdentity: () => resolveAwsIdentity(),
  env: process.env,
  interactive: Boolean(process.stdin.isTTY),
};

/** Where a deployment goes, once checked. */
interface Destination {
  readonly tool: CdkTool;
  readonly env: NodeJS.ProcessEnv;
  readonly account: string;
  readonly region: string;
  /** LocalStack's endpoint; absent on AWS. */
  readonly endpoint?: string;
  /** Who deploys (AWS only). */
  readonly arn?: string;
}

async function destinationOf(
  options: DeployOptions,
  deps: DeployDependencies
): Promise<Destination> {
  if (options.target === 'localstack') {
    const verified = await verifyLocalStack(options.endpoint, deps.env);
    return {
      tool: 'cdklocal',
      env: localStackCdkEnv(verified, deps.env),
      account: verified.account,
      region: verified.region,
      endpoint: verified.endpoint,
    };
  }
  const identity = await deps.resolveAwsIdentity();
  return { tool: 'cdk', env: awsCdkEnv(deps.env), ...identity };
}

function describe(options: DeployOptions, destination: Destination): string {
  const where =
    options.target === 'localstack'
      ? `LocalStack at ${destination.endpoint} (account ${destination.account}, ${destination.region})`
      : `AWS account ${destination.account} in ${destination.region}${destination.arn ? ` as ${destination.arn}` : ''}`;
  return `${options.stackName} (stage ${options.stage}) on ${where}`;
}

async function cdk(
  deps: DeployDependencies,
  io: CommandIo,
  destination: Destination,
  args: readonly string[],
  environment: string
): Promise<void> {
  io.err(`$ ${destination.tool} ${args.join(' ')}`);
  const result = await deps.runCdk({
    tool: destination.tool,
    args,
    env: destination.env,
    stdoutToStderr: io.json,
  });
  if (result.exitCode !== 0) {
    const failure = explainCdkFailure(
      args[0] ?? 'command',
      result.exitCode,
      result.stderrTail,
      environment
    );
    throw new CliError(failure.message, failure.exitCode);
  }
}

async function runDeploy(
  args: CommandArgs,
  io: CommandIo,
  deps: DeployDependencies,
  defaultTarget: DeployOptions['target']
): Promise<ExitCode> {
  const options = parseDeployOptions(args, defaultTarget);
  const destination = await destinationOf(options, deps);
  if (options.target === 'aws' && !options.yes && !deps.interactive) {
    // cdk would stop at its approval prompt for the IAM changes of a first deployment.
    throw new CliError(
      'not an interactive terminal, so cdk cannot ask you to approve IAM changes: re-run with --yes (e.g. `npm run deploy -- --yes` in CI) to deploy without the prompt',
      EXIT.USAGE
    );
  }
  const environment = `aws://${destination.account}/${destination.region}`;
  io.err(`Deploying ${describe(options, destination)}`);
  // LocalStack starts empty every time, so it is always bootstrapped (a no-op when it already is).
  if (options.target === 'localstack' || options.bootstrap) {
    await cdk(deps, io, destination, bootstrapArgs(options, destination), environment);
  }
  await cdk(deps, io, destination, deployArgs(options), environment);
  const outputs = relative(process.cwd(), options.outputsFile) || options.outputsFile;
  if (io.json) {
    io.out(
      JSON.stringify({
        target: options.target,
        stackName: options.stackName,
        stage: options.stage,
        account: destination.account,
        region: destination.region,
        ...(destination.endpoint ? { endpoint: destination.endpoint } : {}),
        outputsFile: options.outputsFile,
      })
    );
  } else {
    io.out(
      [
        `Deployed ${options.stackName}; its outputs are in ${outputs}.`,
        `Next: npx pipeline send orders --target ${options.target} --type com.example.order.placed --data '{"orderId":"o-1","customerId":"c-1","items":[{"sku":"sku-1","quantity":2}],"total":{"amount":1999,"currency":"EUR"}}'`,
        `      npm run test:e2e -- --target ${options.target}`,
      ].join('\n')
    );
  }
  return EXIT.OK;
}

/** Removes one stack from an outputs file (and the file when nothing else is left in it). */
export async function forgetStackOutputs(file: string, stackName: string): Promise<void> {
  let document: Record<string, unknown>;
  try {
    document = JSON.parse(await readFile(file, 'utf8'));
  } catch {
    return; // no file, or not ours to fix: leave it
  }
  delete document[stackName];
  if (Object.keys(document).length === 0) await rm(file, { force: true });
  else await writeFile(file, `${JSON.stringify(document, null, 2)}\n`);
}

async function runDestroy(
  args: CommandArgs,
  io: CommandIo,
  deps: DeployDependencies
): Promise<ExitCode> {
  const options = parseDeployOptions(args, 'aws');
  const destination = await destinationOf(options, deps);
  io.err(`Destroying ${describe(options, destination)}`);
  await cdk(
    deps,
    io,
    destination,
    destroyArgs(options),
    `aws://${destination.account}/${destination.region}`
  );
  // The CLI and the e2e tests must not keep talking to a stack that is gone.
  await forgetStackOutputs(options.outputsFile, options.stackName);
  if (io.json) {
    io.out(
      JSON.stringify({ target: options.target, stackName: options.stackName, destroyed: true })
    );
  } else {
    io.out(`Destroyed ${options.stackName}.`);
  }
  return EXIT.OK;
}

const SHARED_FLAGS = `      --stage <name>        CDK context stage (default: dev); the stack is EventPipeline-<stage>
      --stack <name>        stack name instead of EventPipeline-<stage> (CDK context stackName)
      --outputs <file>      outputs file (default: outputs/<target>.json)
      --endpoint <url>      LocalStack only (default: AWS_ENDPOINT_URL, else
                            http://localhost.localstack.cloud:4566, then http://localhost:4566)
  -- <cdk flags>             passed to cdk unchanged, e.g. -- --hotswap`;

/**
 * Builds `deploy` and `destroy` on the given dependencies.
 *
 * @param deps replaced in tests; the defaults run the real cdk and STS
 */
export function createDeployCommands(
  deps: Partial<DeployDependencies> = {}
): readonly [Command, Command] {
  const resolved = { ...DEFAULT_DEPENDENCIES, ...deps };
  const deploy: Command = {
    name: 'deploy',
    summary: 'deploy the pipeline to AWS or LocalStack and write outputs/<target>.json',
    help: `Usage: pipeline deploy [--target aws|localstack] [flags] [-- <cdk flags>]

AWS (default): checks the standard credential chain with STS GetCallerIdentity, then runs
  cdk deploy <stack> --require-approval broadening --outputs-file outputs/aws.json
cdk asks before IAM changes; --yes skips the prompt (needed without a terminal, e.g. CI).

LocalStack: refuses unless the endpoint answers GET /_localstack/health like LocalStack and
STS there returns account 000000000000, then runs cdklocal bootstrap and
  cdklocal deploy <stack> --require-approval never --outputs-file outputs/localstack.json
with test credentials only.

Flags:
${SHARED_FLAGS}
  -y, --yes                 AWS: deploy without cdk's approval prompt
      --bootstrap           AWS: run cdk bootstrap aws://<account>/<region> first (once per
                            account and region)

Exit codes: 0 deployed, 1 cdk failed or LocalStack check refused, 2 bad flags,
4 no credentials / region / LocalStack not reachable.

Examples:
  npm run deploy
  npm run deploy -- --stage prod --yes
  AWS_PROFILE=sandbox npm run deploy -- --bootstrap
  npm run deploy:localstack`,
    options: {
      stage: { type: 'string' },
      yes: { type: 'boolean', short: 'y' },
      bootstrap: { type: 'boolean' },
    },
    run: (args, io) => runDeploy(args, io, resolved, 'aws'),
  };
  const destroy: Command = {
    name: 'destroy',
    summary: 'delete the deployed pipeline stack (AWS or LocalStack)',
    help: `Usage: pipeline destroy [--target aws|localstack] [flags] [-- <cdk flags>]

Runs cdk destroy <stack> --force (cdklocal on LocalStack, after the same safety checks as
deploy), then removes the stack from the outputs file. Only the named stack is deleted. The
pipeline table, KMS keys and log groups are retained (DEFAULT_REMOVAL_POLICY is RETAIN, so that
deleting a stack never deletes data): delete them in the console or with the AWS CLI when you
are sure.

Flags:
${SHARED_FLAGS}

Examples:
  npm run destroy
  npm run destroy -- --stage prod
  npm run destroy:localstack`,
    options: { stage: { type: 'string' } },
    run: (args, io) => runDestroy(args, io, resolved),
  };
  return [deploy, destroy];
}

/** `deploy` and `destroy` with the real cdk, for `runCli`'s extra commands. */
export const deployCommands: readonly Command[] = createDeployCommands();
