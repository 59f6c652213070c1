// AirlockStore
