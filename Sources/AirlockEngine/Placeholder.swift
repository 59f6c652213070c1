// AirlockEngine
