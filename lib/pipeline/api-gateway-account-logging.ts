import { Aws, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { CfnAccount } from 'aws-cdk-lib/aws-apigateway';
import { PolicyDocument, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

/**
 * The account-level setting API Gateway needs before any stage can log (access or execution
 * logs): a role it assumes to write to CloudWatch Logs, registered with `AWS::ApiGateway::Account`.
 *
 * This replaces `RestApi`'s `cloudWatchRole: true`, which attaches the AWS-managed
 * `AmazonAPIGatewayPushToCloudWatchLogs` policy. The role is retained on stack deletion: the
 * setting is per account and region, and other APIs may rely on it.
 */
export class ApiGatewayAccountLogging extends Construct {
  /** The role API Gateway assumes to write logs. */
  public readonly role: Role;
  /** The account setting. */
  public readonly account: CfnAccount;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('apigateway.amazonaws.com'),
      description: 'Lets API Gateway write access and execution logs to CloudWatch Logs',
      inlinePolicies: {
        WriteLogs: new PolicyDocument({
          statements: [
            new PolicyStatement({
              actions: [
                'logs:CreateLogGroup',
                'logs:CreateLogStream',
                'logs:DescribeLogGroups',
                'logs:DescribeLogStreams',
                'logs:PutLogEvents',
                'logs:GetLogEvents',
                'logs:FilterLogEvents',
              ],
              resources: [`arn:${Aws.PARTITION}:logs:${Aws.REGION}:${Aws.ACCOUNT_ID}:log-group:*`],
            }),
          ],
        }),
      },
    });
    this.role.applyRemovalPolicy(RemovalPolicy.RETAIN);
    this.account = new CfnAccount(this, 'Resource', { cloudWatchRoleArn: this.role.roleArn });
    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:*]',
      reason:
        'API Gateway writes execution logs to log groups it names and creates per API and stage (API-Gateway-Execution-Logs_<api-id>/<stage>); the role is an account-wide setting, so it is limited to this account and region, not to one group',
    });
  }
}
