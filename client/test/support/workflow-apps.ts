import * as grpc from '@grpc/grpc-js';
import express from 'express';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { workflowGrpcImplementation, workflowHttpCallback, Workflows, workflowService } from '../../src/index.js';
import type { Coordinator } from './coordinators.js';

/**
 * A workflow application per protocol, as a user would run it: a Workflows registry and the resume
 * callback the server calls (HTTP: an express route with workflowHttpCallback; gRPC: a grpc-js
 * server with workflow.Workflow/Execute).
 */
export class WorkflowApps {
  private constructor(
    readonly http: Workflows,
    readonly grpc: Workflows,
    readonly resumed: Array<{ protocol: string; gid: string; op: string }>,
    private readonly httpServer: Server,
    private readonly grpcServer: grpc.Server,
  ) {}

  static async start(coordinator: Coordinator): Promise<WorkflowApps> {
    const resumed: Array<{ protocol: string; gid: string; op: string }> = [];
    // the route exists before the Workflows (which needs the route's port)
    const late: { http?: Workflows } = {};
    const app = express();
    app.all('/workflow/resume', express.raw({ type: () => true }), async (req, res) => {
      resumed.push({ protocol: 'http', gid: String(req.query.gid), op: String(req.query.op) });
      const body = Buffer.isBuffer(req.body) ? new Uint8Array(req.body) : undefined;
      const answer = await workflowHttpCallback(late.http!, req.query as Record<string, unknown>, body);
      res.status(answer.status).type('application/json').send(answer.body);
    });
    const httpServer = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    const httpWorkflows = new Workflows(coordinator.http, `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}/workflow/resume`);
    late.http = httpWorkflows;

    const grpcServer = new grpc.Server();
    const port = await new Promise<number>((resolve, reject) => grpcServer.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
    const grpcWorkflows = new Workflows(coordinator.grpc, `127.0.0.1:${port}`);
    const impl = workflowGrpcImplementation(grpcWorkflows);
    const execute = impl.Execute as grpc.handleUnaryCall<{ Data: Buffer }, object>;
    grpcServer.addService(workflowService(), {
      Execute: (call: grpc.ServerUnaryCall<{ Data: Buffer }, object>, cb: grpc.sendUnaryData<object>) => {
        resumed.push({ protocol: 'grpc', gid: String(call.metadata.get('dtm-gid')[0]), op: String(call.metadata.get('dtm-op')[0]) });
        execute(call, cb);
      },
    });
    return new WorkflowApps(httpWorkflows, grpcWorkflows, resumed, httpServer, grpcServer);
  }

  async close(): Promise<void> {
    this.httpServer.closeAllConnections();
    await new Promise<void>((r) => this.httpServer.close(() => r()));
    await new Promise<void>((r) => this.grpcServer.tryShutdown(() => r()));
  }
}
