// AirlockServer
