// AirlockCore
