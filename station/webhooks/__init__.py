"""Events to the platform: outbox rows, Standard Webhooks signing, dispatcher."""
