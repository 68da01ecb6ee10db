"""Payment providers behind `conveyor.payments.gateway.PaymentGateway`."""
