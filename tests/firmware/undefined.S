/* Encodings no Cortex-M executes, each at a label the test puts the PC on: UDF (permanently
 * undefined), 0xBA80 (a 16-bit miscellaneous encoding that is UNDEFINED in ARMv7-M), an access
 * to coprocessor 15 (no such coprocessor: NOCP), and 0xB400 (PUSH with an empty register list:
 * UNPREDICTABLE, which the simulator does not guess at and reports as a lockup). The fault handlers stop at a BKPT so the
 * debugger sees which exception ran. SHCSR.USGFAULTENA is set only when the test asks for it
 * (`usage_fault_enable`), so the default is the escalation to HardFault. */
    .syntax unified
    .thumb

    .data
    .global usage_fault_enable
usage_fault_enable: .word 0

    .text
    .global main
    .thumb_func
main:
    ldr r0, =usage_fault_enable
    ldr r0, [r0]
    cbz r0, 1f
    ldr r1, =0xE000ED24            /* SHCSR */
    ldr r2, [r1]
    orr r2, r2, #(1 << 18)         /* USGFAULTENA */
    str r2, [r1]
    dsb
    isb
1:  movs r4, #0x44
    .global at_udf
at_udf:
    udf #0x12
    .global at_ba80
at_ba80:
    .inst.n 0xBA80
    .global at_mrc
at_mrc:
    mrc p15, 0, r0, c0, c0, 0
    .global at_unpredictable
at_unpredictable:
    .inst.n 0xB400
    b .

    .global HardFault_Handler
    .thumb_func
HardFault_Handler:
    bkpt #0x03
    b HardFault_Handler

    .global UsageFault_Handler
    .thumb_func
UsageFault_Handler:
    bkpt #0x06
    b UsageFault_Handler
