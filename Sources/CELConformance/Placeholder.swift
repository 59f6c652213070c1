// CELConformance
