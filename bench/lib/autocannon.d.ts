// The part of autocannon's API the benchmark uses (the package ships no types).
declare module "autocannon" {
  interface RawRequest {
    path: string;
    method: string;
    body?: string;
    headers?: Record<string, string>;
  }
  interface AutocannonRequest {
    setupRequest?: (request: RawRequest) => RawRequest;
  }
  interface AutocannonOptions {
    url: string;
    connections?: number;
    duration?: number;
    amount?: number;
    timeout?: number;
    headers?: Record<string, string>;
    requests?: AutocannonRequest[];
  }
  interface AutocannonResult {
    duration: number;
    errors: number;
    timeouts: number;
    non2xx: number;
  }
  interface AutocannonInstance extends PromiseLike<AutocannonResult> {
    on(event: "response", listener: (client: unknown, statusCode: number, bytes: number, responseTime: number) => void): void;
    stop(): void;
  }
  function autocannon(options: AutocannonOptions): AutocannonInstance;
  export default autocannon;
}
