export class OrderNotFoundError extends Error {
  override name = 'OrderNotFoundError';
}

export class PaymentGatewayTimeoutError extends Error {
  override name = 'PaymentGatewayTimeoutError';
}
